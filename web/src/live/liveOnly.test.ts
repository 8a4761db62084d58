import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { LiveEvent } from "../api/types";
import { EventsSocket } from "./events";

// Live-only events (a transcription's progress, the transcript's lag) carry the seq of the
// last durable event: the page must show them, not take them for repeats of that event.

class FakeWebSocket {
  static last: FakeWebSocket | null = null;
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.last = this;
  }

  send(): void {}

  close(): void {}
}

beforeEach(() => {
  vi.stubGlobal("WebSocket", FakeWebSocket);
  vi.stubGlobal("location", { protocol: "http:", host: "vori.test" });
  vi.stubGlobal("window", { location: { protocol: "http:", host: "vori.test" }, setTimeout, clearTimeout });
});

afterEach(() => vi.unstubAllGlobals());

describe("the events socket", () => {
  it("hands on live-only events with the last seq and drops repeated durable ones", () => {
    const seen: LiveEvent[] = [];
    const socket = new EventsSocket({
      meetingId: "mtg_1",
      token: () => "jwt",
      onEvent: (event) => seen.push(event),
      onState: () => undefined,
      onUnauthorized: () => undefined,
    });
    socket.start();
    const ws = FakeWebSocket.last;
    if (!ws) throw new Error("no socket");
    ws.onopen?.();
    const frames = [
      { type: "ready", seq: 5 },
      { type: "recording.transcribed", seq: 6, upload_id: "upl_1" },
      { type: "recording.progress", seq: 6, upload_id: "upl_2", progress: 0.5 },
      { type: "transcript.lag", seq: 6, lagging: true, lag_s: 4 },
      { type: "recording.transcribed", seq: 6, upload_id: "upl_1" },
    ];
    for (const frame of frames) ws.onmessage?.({ data: JSON.stringify(frame) });
    socket.close();
    expect(seen.map((event) => event.type)).toEqual(["recording.transcribed", "recording.progress", "transcript.lag"]);
  });
});
