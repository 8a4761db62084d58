// The meeting's live events WebSocket: auth first, then numbered events; after a dropped
// connection it reconnects with `since` so that nothing is missed or shown twice.

import type { LiveEvent } from "../api/types";
import { i18next } from "../i18n";

/** `gone`: the server closed with 4404 (no such meeting, or the caller was removed from it);
 * the socket does not reconnect. */
export type EventsState = "connecting" | "live" | "reconnecting" | "closed" | "failed" | "gone";

export const REMOVED_MESSAGE = "You are no longer a member of this meeting.";
export const NOT_FOUND_MESSAGE = "This meeting does not exist, or you are not a member.";

/** What to tell the person when the server closes the events socket with 4404. */
export function goneMessage(reason: string): string {
  return /no longer a member/i.test(reason) ? REMOVED_MESSAGE : NOT_FOUND_MESSAGE;
}

export interface EventsOptions {
  meetingId: string;
  token: () => string | null;
  onEvent: (event: LiveEvent) => void;
  onState: (state: EventsState, message?: string) => void;
  onUnauthorized: (reason: string) => void;
  /** Replay from this sequence number on (exclusive); undefined means only new events. */
  since?: number;
}

export function eventsUrl(meetingId: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/meetings/${encodeURIComponent(meetingId)}/events`;
}

export class EventsSocket {
  private socket: WebSocket | null = null;
  private lastSeq: number | undefined;
  private attempts = 0;
  private timer: number | undefined;
  private closed = false;

  constructor(private readonly options: EventsOptions) {
    this.lastSeq = options.since;
  }

  start(): void {
    this.connect();
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.timer);
    this.socket?.close(1000, "page closed");
    this.socket = null;
  }

  private connect(): void {
    const token = this.options.token();
    if (!token) {
      this.options.onUnauthorized("missing token");
      return;
    }
    this.options.onState(this.attempts ? "reconnecting" : "connecting");
    const socket = new WebSocket(eventsUrl(this.options.meetingId));
    this.socket = socket;
    socket.onopen = () => {
      const auth: Record<string, unknown> = { type: "auth", token };
      if (this.lastSeq !== undefined) auth.since = this.lastSeq;
      socket.send(JSON.stringify(auth));
      this.options.onState("live");
    };
    socket.onmessage = (message) => {
      if (typeof message.data !== "string") return;
      let event: LiveEvent;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      this.attempts = 0;
      if (event.type === "ready" || event.type === "pong") {
        // Without `since` the server replays nothing: later reconnects start from here.
        if (this.lastSeq === undefined && typeof event.seq === "number") this.lastSeq = event.seq;
        return;
      }
      // Partials are live only and carry the seq of the last durable event: never dedupe them.
      if (typeof event.seq === "number" && event.type !== "transcript.partial") {
        if (this.lastSeq !== undefined && event.seq <= this.lastSeq) return;
        this.lastSeq = event.seq;
      }
      this.options.onEvent(event);
    };
    socket.onclose = (event) => {
      if (socket !== this.socket || this.closed) return;
      this.socket = null;
      if (event.code === 4401) {
        this.options.onState("failed", i18next.t("messages.expired"));
        this.options.onUnauthorized(event.reason || "token rejected");
        return;
      }
      if (event.code === 4404) {
        this.options.onState("gone", goneMessage(event.reason));
        return;
      }
      this.attempts += 1;
      this.options.onState(
        "reconnecting",
        i18next.t("messages.liveInterrupted", { reason: event.reason || i18next.t("messages.connectionLost") }),
      );
      const wait = Math.min(5000, 300 * 2 ** Math.min(this.attempts, 4)) * (0.75 + Math.random() / 2);
      this.timer = window.setTimeout(() => this.connect(), wait);
    };
  }
}
