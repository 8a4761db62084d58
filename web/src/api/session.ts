// The signed-in session: the access token in localStorage, its claims, and a way for any
// part of the app to learn that the server rejected it.

const TOKEN_KEY = "vori.token";
const NOTICE_KEY = "vori.notice";

export interface Claims {
  sub: string;
  email: string;
  name: string;
  exp: number;
}

type Listener = () => void;
const listeners = new Set<Listener>();

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
  listeners.forEach((listener) => listener());
}

/** Forget the token; `notice` is shown once on the sign-in page (for example "session expired"). */
export function endSession(notice?: string): void {
  localStorage.removeItem(TOKEN_KEY);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  listeners.forEach((listener) => listener());
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
