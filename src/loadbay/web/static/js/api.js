// Every call to the Loadbay API, and the one place that turns a failed call into a sentence.

import { formatBytes } from "./format.js";
import { currentSession, endSession } from "./session.js";

export const SESSION_EXPIRED = "Your session expired; sign in again.";
const UNREACHABLE =
  "Cannot reach Loadbay. Check that the server is running and that this computer is online, then try again.";

/** A failed call. `message` is what the page shows; `sessionEnded` means sign-in is being shown instead. */
export class ApiError extends Error {
  constructor(message, { status = 0, sessionEnded = false } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.sessionEnded = sessionEnded;
  }
}

/** The server's own sentence when it sent one, else one written from the status code. */
export function describeFailure(status, statusText, payload) {
  if (payload && typeof payload === "object") {
    // The import batches API answers every error as a BaseCommandResponse:
    // {"success": false, "code", "errorMessage"}.
    if (typeof payload.errorMessage === "string" && payload.errorMessage) {
      return payload.errorMessage;
    }
    if (typeof payload.message === "string" && payload.message) {
      return status === 403 && payload.message === "Insufficient scope"
        ? "Insufficient scope: this client is not allowed to do that. Ask an administrator to grant it the scope."
        : payload.message;
    }
    if (typeof payload.error_description === "string") {
      return payload.error_description;
    }
  }
  if (status === 413) {
    return "File too large: the server refused it. Split the file and upload each part.";
  }
  if (status >= 500) {
    return `Loadbay answered ${status} ${statusText || "Server Error"}; try again shortly.`;
  }
  const text = typeof payload === "string" ? payload.trim().slice(0, 300) : "";
  return `The request failed (${status} ${statusText || ""})${text ? `: ${text}` : "."}`;
}

function parseBody(contentType, text) {
  if ((contentType || "").includes("json")) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function failure(status, statusText, payload, authenticated) {
  if (status === 401 && authenticated) {
    endSession("expired");
    return new ApiError(SESSION_EXPIRED, { status, sessionEnded: true });
  }
  return new ApiError(describeFailure(status, statusText, payload), { status });
}

function authorization() {
  const session = currentSession();
  if (session === null) {
    endSession("expired");
    throw new ApiError(SESSION_EXPIRED, { status: 401, sessionEnded: true });
  }
  return `Bearer ${session.token}`;
}

/**
 * Calls the API and returns the parsed answer, or throws an ApiError with a readable message.
 * A 401 on a signed-in call ends the session. An AbortError passes through untouched.
 */
export async function api(path, { method = "GET", body, headers = {}, auth = true, signal } = {}) {
  // No cookies, ever: the token is the only credential. "omit" also keeps the browser from popping
  // up a password dialog of its own should a 401 ever carry a Basic challenge.
  const init = {
    method,
    body,
    signal,
    cache: "no-store",
    credentials: "omit",
    headers: { Accept: "application/json", ...headers },
  };
  if (auth) {
    init.headers.Authorization = authorization();
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") {
      throw error;
    }
    throw new ApiError(UNREACHABLE);
  }
  const payload = parseBody(response.headers.get("content-type"), await response.text());
  if (!response.ok || refusedCommand(payload)) {
    throw failure(response.status, response.statusText, payload, auth);
  }
  return payload;
}

// A BaseCommandResponse says whether it succeeded in its body too; believe the body.
function refusedCommand(payload) {
  return payload !== null && typeof payload === "object" && payload.success === false;
}

/** The client credentials grant; returns the token answer. */
export async function requestToken(clientId, clientSecret) {
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret });
  try {
    return await api("/api/v1/oauth2/tokens", { method: "POST", body: form, auth: false });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      throw new ApiError("Sign-in failed: the client ID or secret is wrong, or the client was revoked.", { status: 401 });
    }
    throw error;
  }
}

/**
 * Uploads a CSV file, or a OneRoster bundle (`bundle`: a zip with manifest.csv), to the rostering
 * API (`POST /api/v1/upload`) with a progress callback. Resolves to the reference id of its import.
 */
export async function uploadCsv(file, { dryRun, abortOnError, sync, changeThreshold, bundle = false }, { onProgress, signal }) {
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("dryRun", dryRun ? "true" : "false");
  form.append("onError", abortOnError ? "abort" : "partial");
  if (sync && !bundle) {
    form.append("mode", "sync");
  }
  // A bundle's manifest says which files are bulk, and each of them is synced within the threshold.
  if (sync || bundle) {
    form.append("changeThreshold", String(changeThreshold));
  }
  const payload = await sendFile("/api/v1/upload", form, file, { onProgress, signal });
  if (!payload.result) {
    throw new ApiError("Loadbay accepted the file but sent no reference ID: look for the import on the Imports page.");
  }
  return payload.result.referenceId;
}

/** The tenant's companies by name, each with its projects (`GET /api/adm/companies`). */
export async function listCompanies({ signal }) {
  const answer = await api("/api/adm/companies", { signal });
  return answer.data;
}

/** Stages an import batch for a company's project; resolves to its batch id. */
export async function createBatch({ companyId, projectId, importType }, { signal }) {
  const answer = await api("/api/adm/import/batches", {
    method: "POST",
    body: JSON.stringify({ CompanyId: companyId, CompanyProjectId: projectId, Type: importType }),
    headers: { "Content-Type": "application/json" },
    signal,
  });
  return answer.batchId;
}

/** Uploads a batch's CSV file with a progress callback; resolves once Loadbay has queued its import. */
export async function uploadBatchFile(batchId, file, { onProgress, signal }) {
  const form = new FormData();
  form.append("file", file, file.name);
  await sendFile(`/api/adm/import/file?BatchId=${encodeURIComponent(batchId)}`, form, file, { onProgress, signal });
}

/** The reference id of a batch's import, as `GET /api/v1/imports/{referenceId}` knows it. */
export async function batchReferenceId(batchId, { signal }) {
  const answer = await api(`/api/adm/import/batches/${encodeURIComponent(batchId)}`, { signal });
  if (!answer.data || !answer.data.referenceId) {
    throw new ApiError(`Batch ${batchId} has no import yet: look for it on the Imports page in a moment.`);
  }
  return answer.data.referenceId;
}

/**
 * Posts a multipart form holding `file` with a progress callback (fetch cannot report upload
 * progress); resolves to the parsed answer. A server that refuses an oversized file may close the
 * connection before its answer is read; then the size of the file is the likely reason, if the
 * server still answers.
 */
function sendFile(url, form, file, { onProgress, signal }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    try {
      xhr.setRequestHeader("Authorization", authorization());
    } catch (error) {
      reject(error);
      return;
    }
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        onProgress(event.loaded, event.total);
      }
    });
    xhr.addEventListener("load", () => {
      const payload = parseBody(xhr.getResponseHeader("content-type"), xhr.responseText);
      const ok = xhr.status >= 200 && xhr.status < 300 && payload !== null && typeof payload === "object";
      if (ok && !refusedCommand(payload)) {
        resolve(payload);
      } else {
        reject(failure(xhr.status, xhr.statusText, payload, true));
      }
    });
    xhr.addEventListener("error", () => {
      cutOffMessage(file).then((message) => reject(new ApiError(message)));
    });
    xhr.addEventListener("abort", () => reject(new DOMException("Upload cancelled", "AbortError")));
    signal.addEventListener("abort", () => xhr.abort());
    xhr.send(form);
  });
}

async function cutOffMessage(file) {
  try {
    const response = await fetch("/healthz", { cache: "no-store" });
    if (response.ok) {
      return (
        `File too large: ${file.name} is ${formatBytes(file.size)} and the server stopped receiving it, ` +
        "as it does past its upload limit. Split the file into smaller parts and upload each one."
      );
    }
  } catch {
    // The server itself is gone: say that instead.
  }
  return UNREACHABLE;
}
