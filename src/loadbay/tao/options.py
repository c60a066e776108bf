"""The names ``POST /api/v1/upload`` takes, each given once.

A name it does not know is refused, never ignored: ``dry_run=true`` ignored would run a real
import of a file its sender meant only as a check. The same goes for an option given twice
with two values (in the query and in the form, say): neither is picked for the client.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import QueryParams

from loadbay.errors import ApiError

FILE_FIELD = "file"
# Each a form field or a query parameter.
OPTIONS = ("dryRun", "onError", "mode", "changeThreshold", "importType")
ACCEPTED = (FILE_FIELD, *OPTIONS)
TAKES = (
    f"The upload takes the multipart field '{FILE_FIELD}' and the options {', '.join(OPTIONS)} "
    "(form fields or query parameters), and nothing else."
)


def _folded(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


_BY_FOLDED = {_folded(name): name for name in ACCEPTED}


def _unknown(name: str, where: str) -> ApiError:
    shown = name[:64]
    guess = _BY_FOLDED.get(_folded(name))
    said = f"Unknown {where} '{shown}': did you mean {guess}?" if guess else f"Unknown {where} '{shown}'."
    return ApiError(400, f"{said} {TAKES}")


def _twice(name: str, where: str, values: list[str]) -> ApiError:
    shown = " and ".join(f"'{value[:32]}'" for value in values)
    return ApiError(400, f"{name} is given {where} with different values ({shown}); give it once.")


def check_field(name: str) -> None:
    """A multipart part's name, before its value is read."""
    if name not in ACCEPTED:
        raise _unknown(name, "form field")


def check_query(query: QueryParams) -> None:
    """The query parameters, before anything of the body is read or stored."""
    for name in query:
        if name == FILE_FIELD:
            raise ApiError(400, f"The file goes in the multipart field '{FILE_FIELD}'. {TAKES}")
        if name not in OPTIONS:
            raise _unknown(name, "query parameter")
        values = list(dict.fromkeys(value.strip() for value in query.getlist(name)))
        if len(values) > 1:
            raise _twice(name, "twice in the query", values)


def chosen(query: QueryParams, fields: Mapping[str, str]) -> dict[str, str]:
    """Each option's value, stripped ("" when not given), from the form or the query."""
    values: dict[str, str] = {}
    for name in OPTIONS:
        given = [value.strip() for value in (fields.get(name), query.get(name)) if value is not None]
        if len(set(given)) > 1:
            raise _twice(name, "in the form and in the query", given)
        values[name] = given[0] if given else ""
    return values
