// The signed-in session. The access token is short-lived and kept in this module's memory
// only: nothing in localStorage or sessionStorage that an injected script could carry off.
// What survives a reload is the refresh cookie the server set at sign-in (httpOnly, so no
// script reads it; SameSite=Strict; sent only to /api/v1/auth): on page load and shortly
// before each access token runs out, POST /api/v1/auth/refresh trades it for a new token
// and a new cookie.

const NOTICE_KEY = "vori.notice";
const REFRESH_PATH = "/api/v1/auth/refresh";
const LOGOUT_PATH = "/api/v1/auth/logout";
// Renew this long before the token expires (or halfway through a shorter lifetime).
const RENEW_LEAD_MS = 60_000;
// After a failed renewal (network), try again this often while the token still works.
const RETRY_MS = 10_000;

export interface Claims {
  sub: string;
  email: string;
  name: string;
  exp: number;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let token: string | null = null;
let renewTimer: number | undefined;
let renewing: Promise<string | null> | null = null;

function changed(): void {
  listeners.forEach((listener) => listener());
}

export function getToken(): string | null {
  return token;
}

export function setToken(next: string): void {
  token = next;
  scheduleRenewal(next);
  changed();
}

/** Forget the token and end the sign-in on the server (the refresh cookie is revoked);
 * `notice` is shown once on the sign-in page (for example "session expired"). */
export function endSession(notice?: string): void {
  const hadToken = token !== null;
  token = null;
  window.clearTimeout(renewTimer);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  // keepalive: the request completes even when the page navigates away right after.
  if (hadToken) void fetch(LOGOUT_PATH, { method: "POST", keepalive: true }).catch(() => undefined);
  changed();
}

export function takeNotice(): string | null {
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  return notice;
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** On page load: sign in silently from the refresh cookie, if there is a live one. */
export async function restoreSession(): Promise<void> {
  const outcome = await renew();
  if (outcome.kind === "ended") sessionStorage.setItem(NOTICE_KEY, ENDED_NOTICE);
}

/** A fresh access token from the refresh cookie (set in place), or null when the sign-in
 * is over. Concurrent callers share one request. */
export function refreshSession(): Promise<string | null> {
  renewing ??= renew()
    .then((outcome) => (outcome.kind === "renewed" ? outcome.token : null))
    .finally(() => {
      renewing = null;
    });
  return renewing;
}

type Outcome = { kind: "renewed"; token: string } | { kind: "none" | "ended" | "unreachable" };

async function renew(): Promise<Outcome> {
  const attempt = async (): Promise<Outcome> => {
    let response: Response;
    try {
      response = await fetch(REFRESH_PATH, { method: "POST", headers: { Accept: "application/json" } });
    } catch {
      return { kind: "unreachable" };
    }
    if (response.status === 204) return { kind: "none" }; // no cookie: not signed in
    if (response.ok) {
      const body = (await response.json()) as { access_token?: unknown };
      if (typeof body.access_token === "string") return { kind: "renewed", token: body.access_token };
      return { kind: "unreachable" };
    }
    return { kind: response.status === 401 ? "ended" : "unreachable" };
  };
  // Each cookie works once: two tabs renewing at the same moment with the same cookie would
  // end the sign-in, so tabs take turns (the second then sends the first one's new cookie).
  const outcome = navigator.locks ? await navigator.locks.request("vori-refresh", attempt) : await attempt();
  if (outcome.kind === "renewed") {
    setToken(outcome.token);
  } else if (outcome.kind === "ended" && token) {
    endSession(ENDED_NOTICE);
  } else if (outcome.kind === "unreachable" && token) {
    window.clearTimeout(renewTimer);
    renewTimer = window.setTimeout(() => void refreshSession(), RETRY_MS);
  }
  return outcome;
}

function scheduleRenewal(value: string): void {
  window.clearTimeout(renewTimer);
  const claims = decodeClaims(value);
  if (!claims) return;
  const left = claims.exp * 1000 - Date.now();
  const wait = left - Math.min(RENEW_LEAD_MS, left / 2);
  if (wait > 2 ** 31 - 1) return;
  // If renewal keeps failing, the Layout signs out with a notice once the token expires.
  renewTimer = window.setTimeout(() => void refreshSession(), Math.max(0, wait));
}

/** The token's claims, or null when it is not a readable JWT. The server still verifies it. */
export function decodeClaims(token: string): Claims | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const json = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "="));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
    if (typeof claims.sub !== "string" || typeof claims.exp !== "number") return null;
    return { sub: claims.sub, email: claims.email ?? "", name: claims.name ?? "", exp: claims.exp };
  } catch {
    return null;
  }
}

export function isExpired(claims: Claims, nowMs: number = Date.now()): boolean {
  return claims.exp * 1000 <= nowMs;
}

export const EXPIRED_NOTICE = "Your session has expired. Please sign in again.";
export const ENDED_NOTICE = "Your session has ended. Please sign in again.";
