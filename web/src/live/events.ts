// The meeting's live events WebSocket: auth first, then numbered events; after a dropped
// connection it reconnects with `since` so that nothing is missed or shown twice.

import { type Backoff, CLOSE_NOT_FOUND, ReconnectingSocket } from "../api/reconnectingSocket";
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

/** Events the server sends live only, numbered with the last durable event's seq
 * (docs/protocol.md): never taken for a repeat of that event. */
export const LIVE_ONLY = new Set(["transcript.partial", "transcript.lag", "member.removed", "recording.progress"]);

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

// 0.6 s, 1.2 s, 2.4 s, then 4.8 s (±25%): a meeting's viewers want their transcript back soon.
const EVENTS_BACKOFF: Backoff = { baseMs: 300, maxMs: 5000, maxExponent: 4 };

export class EventsSocket {
  private readonly socket: ReconnectingSocket;
  private lastSeq: number | undefined;

  constructor(private readonly options: EventsOptions) {
    this.lastSeq = options.since;
    this.socket = new ReconnectingSocket({
      url: () => eventsUrl(options.meetingId),
      token: options.token,
      backoff: EVENTS_BACKOFF,
      authFields: () => (this.lastSeq !== undefined ? { since: this.lastSeq } : {}),
      onMissingToken: () => options.onUnauthorized("missing token"),
      onConnecting: (reconnecting) => options.onState(reconnecting ? "reconnecting" : "connecting"),
      onOpen: () => options.onState("live"),
      onMessage: (message) => this.receive(message as LiveEvent),
      onUnauthorized: (reason) => {
        options.onState("failed", i18next.t("messages.expired"));
        options.onUnauthorized(reason);
      },
      finalCloses: { [CLOSE_NOT_FOUND]: (reason) => options.onState("gone", goneMessage(reason)) },
      onDropped: (reason) =>
        options.onState(
          "reconnecting",
          i18next.t("messages.liveInterrupted", { reason: reason || i18next.t("messages.connectionLost") }),
        ),
    });
  }

  start(): void {
    this.socket.start();
  }

  close(): void {
    this.socket.close();
  }

  private receive(event: LiveEvent): void {
    if (event.type === "ready" || event.type === "pong") {
      // Without `since` the server replays nothing: later reconnects start from here.
      if (this.lastSeq === undefined && typeof event.seq === "number") this.lastSeq = event.seq;
      return;
    }
    // Live-only events carry the seq of the last durable event: never dedupe them.
    if (typeof event.seq === "number" && !LIVE_ONLY.has(event.type)) {
      if (this.lastSeq !== undefined && event.seq <= this.lastSeq) return;
      this.lastSeq = event.seq;
    }
    this.options.onEvent(event);
  }
}
