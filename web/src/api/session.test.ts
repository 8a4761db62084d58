import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// The session module in a fake browser: timers, storages and fetch are stand-ins, so the
// renewal schedule (minutes in a real browser) runs in milliseconds.

function storage(): Storage & { writes: string[] } {
  const values = new Map<string, string>();
  const writes: string[] = [];
  return {
    writes,
    get length() {
      return values.size;
    },
    clear: () => values.clear(),
    key: (index: number) => [...values.keys()][index] ?? null,
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => {
      writes.push(`${key}=${value}`);
      values.set(key, value);
    },
    removeItem: (key: string) => void values.delete(key),
  };
}

function jwt(expS: number, sub = "usr_1"): string {
  const part = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, "");
  return `${part({ alg: "HS256" })}.${part({ sub, email: "a@example.com", name: "Ana", exp: expS })}.sig`;
}

function answer(status: number, body: object): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

let fetchMock: ReturnType<typeof vi.fn>;
let local: ReturnType<typeof storage>;
let session: ReturnType<typeof storage>;

async function load() {
  vi.resetModules();
  return import("./session");
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-12-01T00:00:00Z"));
  local = storage();
  session = storage();
  fetchMock = vi.fn();
  vi.stubGlobal("window", globalThis);
  vi.stubGlobal("localStorage", local);
  vi.stubGlobal("sessionStorage", session);
  vi.stubGlobal("fetch", fetchMock);
  vi.stubGlobal("navigator", {
    locks: { request: (_name: string, task: () => Promise<unknown>) => task() },
  });
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const nowS = () => Math.floor(Date.now() / 1000);

describe("the in-memory session", () => {
  it("signs in silently from the cookie and keeps the token out of every storage", async () => {
    const { restoreSession, getToken, takeNotice } = await load();
    const token = jwt(nowS() + 900);
    fetchMock.mockResolvedValueOnce(answer(200, { access_token: token }));
    await restoreSession();
    expect(getToken()).toBe(token);
    expect(fetchMock).toHaveBeenCalledWith("/api/v1/auth/refresh", expect.objectContaining({ method: "POST" }));
    expect(local.writes).toEqual([]);
    expect(session.writes).toEqual([]);
    expect(takeNotice()).toBeNull();
  });

  it("renews a minute before the token expires", async () => {
    const { setToken, getToken } = await load();
    const renewed = jwt(nowS() + 1800);
    fetchMock.mockResolvedValueOnce(answer(200, { access_token: renewed }));
    setToken(jwt(nowS() + 900));
    await vi.advanceTimersByTimeAsync(838_000);
    expect(fetchMock).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(getToken()).toBe(renewed);
  });

  it("shares one refresh among concurrent callers (each cookie works once)", async () => {
    const { refreshSession } = await load();
    const token = jwt(nowS() + 900);
    fetchMock.mockResolvedValueOnce(answer(200, { access_token: token }));
    const both = await Promise.all([refreshSession(), refreshSession()]);
    expect(both).toEqual([token, token]);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it("tells an ended sign-in from never having signed in", async () => {
    let module = await load();
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }));
    await module.restoreSession();
    expect(module.getToken()).toBeNull();
    expect(module.takeNotice()).toBeNull();

    module = await load();
    fetchMock.mockResolvedValueOnce(answer(401, { detail: "this sign-in was ended (signed out)" }));
    await module.restoreSession();
    expect(module.getToken()).toBeNull();
    expect(module.takeNotice()).toBe(module.ENDED_NOTICE);
  });

  it("ends the session at once when a renewal is refused, and revokes it on the server", async () => {
    const { setToken, refreshSession, getToken, takeNotice, ENDED_NOTICE } = await load();
    setToken(jwt(nowS() + 900));
    fetchMock.mockResolvedValueOnce(answer(401, { detail: "this sign-in was ended" }));
    fetchMock.mockResolvedValueOnce(new Response(null, { status: 204 }));
    expect(await refreshSession()).toBeNull();
    expect(getToken()).toBeNull();
    expect(takeNotice()).toBe(ENDED_NOTICE);
    expect(fetchMock).toHaveBeenLastCalledWith("/api/v1/auth/logout", expect.objectContaining({ method: "POST" }));
  });

  it("keeps the token and retries when the server cannot be reached", async () => {
    const { setToken, refreshSession, getToken } = await load();
    const token = jwt(nowS() + 900);
    setToken(token);
    fetchMock.mockRejectedValueOnce(new TypeError("network down"));
    expect(await refreshSession()).toBeNull();
    expect(getToken()).toBe(token);
    const renewed = jwt(nowS() + 1800);
    fetchMock.mockResolvedValueOnce(answer(200, { access_token: renewed }));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(getToken()).toBe(renewed);
  });
});
