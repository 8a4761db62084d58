// One fetch wrapper for the gateway's REST API: bearer token, JSON, and errors turned into
// ApiError values with a message a person can read. A 401 first renews the access token
// from the refresh cookie and tries once more; only then does the session end.

import { i18next } from "../i18n";
import { EXPIRED_NOTICE, endSession, getToken, refreshSession } from "./session";
import { isValidationList, validationMessage } from "./validation";

export type ApiErrorKind = "network" | "unauthorized" | "not_found" | "conflict" | "invalid" | "server";

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status: number = 0,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The message when no answer came at all, in the interface language. */
export const unreachable = () => i18next.t("messages.unreachable");

interface RequestOptions {
  method?: string;
  body?: unknown;
  form?: Record<string, string>;
  /** A body sent as it is (an upload's part), with the caller's Content-Type. */
  raw?: Blob;
  headers?: Record<string, string>;
  /** Sign-in requests must not end the session on 401: that is a wrong password. */
  anonymous?: boolean;
  signal?: AbortSignal;
}

export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  if (response.status === 204) return undefined as T;
  const type = response.headers.get("content-type") ?? "";
  return (type.includes("json") ? await response.json() : await response.text()) as T;
}

/** A JSON answer with its headers (paging cursors travel in headers). */
export async function apiPage<T>(path: string): Promise<{ data: T; headers: Headers }> {
  const response = await send(path, {});
  return { data: (await response.json()) as T, headers: response.headers };
}

/** The raw body of a download (exports), as text, with the same error handling. */
export async function apiText(path: string): Promise<string> {
  const response = await send(path, {});
  return response.text();
}

/** A binary body (a recording's audio) as a Blob, with the same error handling. */
export async function apiBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  const response = await send(path, { headers: { Accept: "*/*" }, signal });
  return response.blob();
}

/** A request whose answer's headers matter (an upload's `Upload-Offset`), with the same error handling. */
export async function apiHeaders(path: string, options: RequestOptions): Promise<Headers> {
  const response = await send(path, options);
  return response.headers;
}

async function send(path: string, options: RequestOptions, renewed = false): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  const token = getToken();
  if (token && !options.anonymous) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined;
  if (options.form) {
    body = new URLSearchParams(options.form);
  } else if (options.raw !== undefined) {
    body = options.raw;
  } else if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, { method: options.method ?? "GET", headers, body, signal: options.signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiError("network", unreachable());
  }
  if (response.ok) return response;
  if (response.status === 401 && token && !options.anonymous && !renewed) {
    const fresh = await refreshSession();
    if (fresh) return send(path, options, true);
  }
  const message = await errorMessage(response);
  if (response.status === 401) {
    if (!options.anonymous) {
      endSession(/expired/i.test(message) ? EXPIRED_NOTICE : i18next.t("messages.signInAgain", { reason: message }));
    }
    throw new ApiError("unauthorized", message, 401);
  }
  if (response.status === 404) throw new ApiError("not_found", message, 404);
  if (response.status === 409 || response.status === 412) throw new ApiError("conflict", message, response.status);
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    throw new ApiError("network", i18next.t("messages.unavailable", { reason: message }), response.status);
  }
  if (response.status < 500) throw new ApiError("invalid", message, response.status);
  throw new ApiError("server", i18next.t("messages.serverFailed", { status: response.status, reason: message }), response.status);
}

/** FastAPI puts the reason in `detail`: a string, or a list of validation errors. */
async function errorMessage(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const data = JSON.parse(text);
    const detail = data.detail ?? data.message ?? data.error;
    // A 422's list (in `detail`, or in `errors` beside a one-line `detail`) as sentences.
    const issues = isValidationList(data.errors) ? data.errors : isValidationList(detail) ? detail : null;
    if (issues) return validationMessage(issues, i18next.t);
    if (typeof detail === "string") return detail;
  } catch {
    // Not JSON: a proxy's or server's plain error page.
  }
  return text.trim().slice(0, 200) || response.statusText || `HTTP ${response.status}`;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
