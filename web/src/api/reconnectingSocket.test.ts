import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { EventsSocket, type EventsState } from "../live/events";
import {
  type Backoff,
  CLOSE_NOT_FOUND,
  CLOSE_UNAUTHORIZED,
  ReconnectingSocket,
  type ReconnectingSocketOptions,
  backoffDelay,
} from "./reconnectingSocket";

/** A WebSocket that records what the page sends and lets the test open, answer and close it. */
class FakeWebSocket {
  static all: FakeWebSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  sent: unknown[] = [];
  closedWith: [number, string] | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.all.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
  }

  open(): void {
    this.onopen?.();
  }

  receive(data: unknown): void {
    this.onmessage?.({ data });
  }

  drop(code = 1006, reason = ""): void {
    this.onclose?.({ code, reason });
  }
}

const BACKOFF: Backoff = { baseMs: 100, maxMs: 1000, maxExponent: 3 };

function latest(): FakeWebSocket {
  const socket = FakeWebSocket.all.at(-1);
  if (!socket) throw new Error("no socket opened");
  return socket;
}

function options(overrides: Partial<ReconnectingSocketOptions> = {}): ReconnectingSocketOptions {
  return {
    url: () => "ws://vori.test/socket",
    token: () => "jwt",
    backoff: BACKOFF,
    onMessage: vi.fn(),
    onUnauthorized: vi.fn(),
    ...overrides,
  };
}

beforeEach(() => {
  FakeWebSocket.all = [];
  vi.stubGlobal("WebSocket", FakeWebSocket);
  vi.useFakeTimers();
  vi.spyOn(Math, "random").mockReturnValue(0.5); // no jitter: waits are exact
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe("the back-off", () => {
  it("doubles per attempt up to its cap, jittered by a quarter either way", () => {
    expect([1, 2, 3, 4, 9].map((attempt) => backoffDelay(BACKOFF, attempt, 0.5))).toEqual([200, 400, 800, 800, 800]);
    expect(backoffDelay({ baseMs: 100, maxMs: 500, maxExponent: 5 }, 5, 0.5)).toBe(500);
    expect(backoffDelay(BACKOFF, 1, 0)).toBe(150);
    expect(backoffDelay(BACKOFF, 1, 0.999999)).toBeCloseTo(250);
  });
});

describe("a reconnecting socket", () => {
  it("signs in with the first frame and hands on JSON text frames only", () => {
    const onMessage = vi.fn();
    const onOpen = vi.fn();
    new ReconnectingSocket(options({ onMessage, onOpen, authFields: () => ({ since: 7 }) })).start();
    const socket = latest();
    expect(socket.url).toBe("ws://vori.test/socket");
    socket.open();
    expect(socket.sent).toEqual([{ type: "auth", token: "jwt", since: 7 }]);
    expect(onOpen).toHaveBeenCalledOnce();
    socket.receive("not json");
    socket.receive(new ArrayBuffer(4));
    socket.receive('{"type":"ready"}');
    expect(onMessage.mock.calls).toEqual([[{ type: "ready" }]]);
  });

  it("reconnects after a drop with a growing wait that a message resets", () => {
    const onConnecting = vi.fn();
    const onDropped = vi.fn();
    new ReconnectingSocket(options({ onConnecting, onDropped })).start();
    expect(onConnecting.mock.calls).toEqual([[false]]);

    latest().drop(1006, "network");
    expect(onDropped).toHaveBeenLastCalledWith("network");
    vi.advanceTimersByTime(199);
    expect(FakeWebSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.all).toHaveLength(2);
    expect(onConnecting).toHaveBeenLastCalledWith(true);

    latest().drop(1011, "");
    vi.advanceTimersByTime(399);
    expect(FakeWebSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.all).toHaveLength(3);

    // The server answered: the next drop waits the first back-off again.
    latest().open();
    latest().receive('{"type":"pong"}');
    latest().drop();
    vi.advanceTimersByTime(200);
    expect(FakeWebSocket.all).toHaveLength(4);
  });

  it("stays closed after 4401 and reports why, until started again", () => {
    const onUnauthorized = vi.fn();
    const onDropped = vi.fn();
    const socket = new ReconnectingSocket(options({ onUnauthorized, onDropped }));
    socket.start();
    latest().drop(CLOSE_UNAUTHORIZED, "token expired");
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.all).toHaveLength(1);
    expect(onUnauthorized).toHaveBeenCalledWith("token expired");
    expect(onDropped).not.toHaveBeenCalled();

    latest().drop(CLOSE_UNAUTHORIZED, ""); // a stale socket's second close: ignored
    expect(onUnauthorized).toHaveBeenCalledOnce();

    socket.start(); // e.g. with a renewed token
    expect(FakeWebSocket.all).toHaveLength(2);
    latest().drop(CLOSE_UNAUTHORIZED, "");
    expect(onUnauthorized).toHaveBeenLastCalledWith("token rejected");
  });

  it("stays closed after a final close code, handing its reason on", () => {
    const gone = vi.fn();
    new ReconnectingSocket(options({ finalCloses: { [CLOSE_NOT_FOUND]: gone } })).start();
    latest().drop(CLOSE_NOT_FOUND, "meeting not found");
    vi.advanceTimersByTime(60_000);
    expect(gone).toHaveBeenCalledWith("meeting not found");
    expect(FakeWebSocket.all).toHaveLength(1);
  });

  it("reconnects after a close code that is not final for it", () => {
    const onUnauthorized = vi.fn();
    new ReconnectingSocket(options({ onUnauthorized })).start();
    latest().drop(CLOSE_NOT_FOUND, "meeting not found");
    vi.advanceTimersByTime(200);
    expect(FakeWebSocket.all).toHaveLength(2);
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it("closes with 1000 and never reconnects once closed", () => {
    const onDropped = vi.fn();
    const socket = new ReconnectingSocket(options({ onDropped }));
    socket.start();
    const first = latest();
    first.drop();
    socket.close(); // during the back-off: the pending reconnect is cancelled
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.all).toHaveLength(1);

    const again = new ReconnectingSocket(options({ onDropped }));
    again.start();
    const open = latest();
    again.close();
    expect(open.closedWith).toEqual([1000, "page closed"]);
    open.drop(1000, "page closed");
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.all).toHaveLength(2);
    expect(onDropped).toHaveBeenCalledOnce();
  });

  it("opens nothing without a token", () => {
    const onMissingToken = vi.fn();
    new ReconnectingSocket(options({ token: () => null, onMissingToken })).start();
    expect(FakeWebSocket.all).toHaveLength(0);
    expect(onMissingToken).toHaveBeenCalledOnce();
  });
});

describe("the meeting's events socket on the shared socket", () => {
  beforeEach(() => {
    vi.stubGlobal("location", { protocol: "http:", host: "vori.test" });
  });

  function events(since?: number) {
    const states: [EventsState, string | undefined][] = [];
    const received: unknown[] = [];
    const socket = new EventsSocket({
      meetingId: "mtg 1",
      token: () => "jwt",
      onEvent: (event) => received.push(event),
      onState: (state, message) => states.push([state, message]),
      onUnauthorized: vi.fn(),
      since,
    });
    socket.start();
    return { socket, states, received };
  }

  it("resumes after a drop from the last event it showed, each event once", () => {
    const { states, received } = events(3);
    expect(latest().url).toBe("ws://vori.test/api/v1/meetings/mtg%201/events");
    latest().open();
    expect(latest().sent).toEqual([{ type: "auth", token: "jwt", since: 3 }]);
    latest().receive(JSON.stringify({ type: "transcript.final", seq: 4 }));
    latest().receive(JSON.stringify({ type: "transcript.final", seq: 4 }));
    latest().receive(JSON.stringify({ type: "transcript.partial", seq: 4 }));
    latest().drop(1006, "");
    vi.advanceTimersByTime(600);
    latest().open();
    expect(latest().sent).toEqual([{ type: "auth", token: "jwt", since: 4 }]);
    expect(received).toEqual([
      { type: "transcript.final", seq: 4 },
      { type: "transcript.partial", seq: 4 },
    ]);
    expect(states.map(([state]) => state)).toEqual(["connecting", "live", "reconnecting", "reconnecting", "live"]);
  });

  it("is gone for good after 4404", () => {
    const { states } = events();
    latest().drop(CLOSE_NOT_FOUND, "you are no longer a member of this meeting");
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.all).toHaveLength(1);
    expect(states.at(-1)?.[0]).toBe("gone");
  });
});
