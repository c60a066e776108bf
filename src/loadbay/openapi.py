"""The OpenAPI document as the API behaves: its security schemes, the request bodies the
endpoints read themselves (multipart uploads, the token form, JSON bodies), the errors each
operation answers in its dialect's shape, and no 422 (validation errors are answered 400).

FastAPI derives the rest from the routes; what it cannot see is added here, by path, so the
document stays one place to read. A schemathesis run against a live server keeps it honest
(tests/e2e/test_openapi.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from loadbay.importing.registry import all_types

# Paths that need no token.
_PUBLIC = ("/api/v1/oauth2/tokens", "/api/v1/templates", "/api/v1/limits")
_DESCRIPTIONS = {
    "400": "The request is malformed or an option is not one the endpoint takes; the message says which.",
    "401": "No token, or a token that is malformed, expired, forged or of a revoked client.",
    "403": "The token lacks the scope the endpoint needs.",
    "404": "Not found, or another tenant's (which is as unknown).",
    "409": "The resource is not in a state that allows this (an import still pending, already ended).",
    "410": "The files were deleted (on request or past retention).",
    "413": "The upload is over the size limit, or the tenant's stored bytes over its quota.",
    "429": "Too many requests; Retry-After says when to try again.",
    "422": "A webhook URL Loadbay may not call: a private or loopback address, or no such host.",
    "503": "The database or object storage is unavailable or busy; Retry-After says when to try again.",
}
_MESSAGE = {"$ref": "#/components/schemas/Message"}
_OAUTH_ERROR = {"$ref": "#/components/schemas/OAuthError"}
_COMMAND = {"$ref": "#/components/schemas/CommandResponse"}
_BINARY = {"type": "string", "format": "binary"}
_BOOLEAN_TEXT = {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no"]}


def _multipart(
    properties: dict[str, Any], required: list[str], *, closed: bool = False, description: str | None = None
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required}
    if closed:
        # The endpoint refuses any other field (400), rather than ignoring it.
        schema["additionalProperties"] = False
    body: dict[str, Any] = {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    if description:
        body["description"] = description
    return body


def _upload_options() -> dict[str, dict[str, Any]]:
    """POST /api/v1/upload's options (loadbay.tao.options), each a form field or a query parameter."""
    schemas: dict[str, dict[str, Any]] = {
        "onError": {"type": "string", "enum": ["partial", "abort"]},
        "dryRun": _BOOLEAN_TEXT,
        "mode": {"type": "string", "enum": ["merge", "sync"]},
        "changeThreshold": {"type": "number", "minimum": 0, "maximum": 100},
        "importType": {"type": "string", "enum": sorted(t.name for t in all_types(scope="rostering"))},
    }
    return schemas


def _json_body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "required": required}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _request_bodies() -> dict[tuple[str, str], dict[str, Any]]:
    payments = sorted(t.name for t in all_types(scope="payments"))
    token_form = {
        "type": "object",
        "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "client_id": {"type": "string"},
            "client_secret": {"type": "string"},
            "scope": {"type": "string"},
        },
        "required": ["grant_type"],
    }
    return {
        ("post", "/api/v1/oauth2/tokens"): {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": token_form},
                "multipart/form-data": {"schema": token_form},
            },
        },
        ("post", "/api/v1/upload"): _multipart(
            {"file": _BINARY, **_upload_options()},
            ["file"],
            closed=True,
            description=(
                "The file and these options, nothing else: any other field is a 400 naming it. "
                "Each option may be sent in the query instead; sent in both, the values must agree. "
                "The file is a CSV, or a OneRoster 1.1 bundle (a zip with manifest.csv, known by "
                "its content): for a bundle importType and mode are a 400, and changeThreshold "
                "holds the syncs of its bulk files."
            ),
        ),
        ("post", "/files/v1/{clientId}/upload_files"): _multipart(
            {
                "accountId": {"type": "string"},
                "file": _BINARY,
                "documentType": {"type": "string"},
                "importType": {"type": "string"},
            },
            ["accountId", "file"],
        ),
        ("post", "/api/adm/import/file"): _multipart({"file": _BINARY}, ["file"]),
        ("post", "/api/adm/import/batches"): _json_body(
            {
                "CompanyId": {"type": "string", "format": "uuid"},
                "CompanyProjectId": {"type": "string", "format": "uuid"},
                "Type": {"type": "string", "enum": payments},
            },
            ["CompanyId", "CompanyProjectId", "Type"],
        ),
        ("post", "/api/v1/webhooks"): _json_body({"url": {"type": "string", "format": "uri"}}, ["url"]),
        ("post", "/api/v1/templates/detect"): {
            "required": True,
            "content": {"application/octet-stream": {"schema": _BINARY}, "text/csv": {"schema": _BINARY}},
        },
    }


def _error_codes(path: str, method: str) -> list[str]:
    codes = ["400", "503"]
    if path.startswith("/api/v1/oauth2/"):
        return [*codes, "401", "429"]  # invalid_client; too many attempts
    if (method, path) == ("post", "/api/v1/webhooks"):
        codes.append("422")  # a URL Loadbay may not call (private, unresolvable)
    if not path.startswith(_PUBLIC):
        codes += ["401", "403"]
    if "{" in path or path.startswith(("/files/", "/api/adm/")):
        codes.append("404")
    if method in ("post", "delete") or path.endswith(("/download", "/result")):
        codes += ["409", "410", "413", "429"]
    return codes


def _error_content(path: str, code: str) -> dict[str, Any]:
    if path.startswith("/api/adm/"):
        return {"application/json": {"schema": _COMMAND}}
    if path.startswith("/api/v1/oauth2/") and code != "503":
        return {"application/json": {"schema": _OAUTH_ERROR}}
    if code == "401":
        # The seeds' plain "Access Denied".
        return {"text/plain": {"schema": {"type": "string"}}}
    return {"application/json": {"schema": _MESSAGE}}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Message"] = {
        "type": "object",
        "properties": {"message": {"type": "string"}},
        "required": ["message"],
    }
    schemas["OAuthError"] = {
        "type": "object",
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
        "required": ["error"],
    }
    schemas["CommandResponse"] = {
        "type": "object",
        "properties": {
            "success": {"type": "boolean"},
            "code": {"type": "integer"},
            "errorMessage": {"type": ["string", "null"]},
        },
        "required": ["success", "code"],
    }
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        # Seed 004 sends the token bare, without "Bearer ".
        "bareToken": {"type": "apiKey", "in": "header", "name": "Authorization"},
    }
    bodies = _request_bodies()
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for code in _error_codes(path, method):
                responses.setdefault(
                    code, {"description": _DESCRIPTIONS[code], "content": _error_content(path, code)}
                )
            if not path.startswith(_PUBLIC):
                scheme = "bareToken" if path.startswith("/files/") else "bearer"
                operation["security"] = [{scheme: []}]
            if (method, path) in bodies:
                operation["requestBody"] = bodies[(method, path)]
    upload = schema["paths"].get("/api/v1/upload", {}).get("post")
    if upload is not None:
        # The same options as query parameters; any other parameter is a 400.
        upload["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": option}
            for name, option in _upload_options().items()
        ]
    # Ids the batches API parses as GUIDs: say so, so that no client has to find out by a 400.
    uuid = {"type": "string", "format": "uuid"}
    for path in ("/api/adm/import/batches/{batch_id}", "/api/adm/import/batches/{batch_id}/result"):
        for parameter in schema["paths"].get(path, {}).get("get", {}).get("parameters", []):
            if parameter["name"] == "batch_id":
                parameter["schema"] = uuid
    # The seed's query parameter, read in any casing by the endpoints themselves.
    for path, method in (("/api/adm/import/file", "post"), ("/api/adm/import/entries", "get")):
        operation = schema["paths"].get(path, {}).get(method)
        if operation is not None:
            parameter = {"name": "BatchId", "in": "query", "required": True, "schema": uuid}
            operation["parameters"] = [parameter, *operation.get("parameters", [])]
    csv_template = schema["paths"].get("/api/v1/templates/{name}.csv", {}).get("get")
    if csv_template is not None:
        csv_template["responses"]["200"] = {
            "description": "The template's header row.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
