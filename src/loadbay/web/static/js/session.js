// The signed-in client. The token lives in this module's variables only, never in localStorage,
// sessionStorage or a cookie: a reload or a closed tab signs out, and no other page can read it.

let current = null;
let expiryTimer = 0;
const listeners = new Set();

// setTimeout holds at most 2^31 - 1 ms; a longer token is checked again when that fires.
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export function currentSession() {
  return current;
}

export function isSignedIn() {
  return current !== null;
}

export function hasScope(scope) {
  return current !== null && current.scopes.includes(scope);
}

/** `listener(reason)` runs when the session ends: "signed-out" or "expired". */
export function onSessionEnd(listener) {
  listeners.add(listener);
}

/** Starts a session from a token answer; it ends by itself when the token expires. */
export function startSession({ clientId, token, expiresIn, scope }) {
  window.clearTimeout(expiryTimer);
  current = {
    clientId,
    token,
    scopes: (scope || "").split(" ").filter(Boolean),
    expiresAt: new Date(Date.now() + expiresIn * 1000),
  };
  scheduleExpiry();
}

function scheduleExpiry() {
  const remaining = current.expiresAt - Date.now();
  if (remaining <= 0) {
    endSession("expired");
    return;
  }
  expiryTimer = window.setTimeout(scheduleExpiry, Math.min(remaining, LONGEST_TIMER_MS));
}

export function endSession(reason) {
  window.clearTimeout(expiryTimer);
  if (current === null) {
    return;
  }
  current = null;
  for (const listener of listeners) {
    listener(reason);
  }
}
