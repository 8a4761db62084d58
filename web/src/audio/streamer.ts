// The audio WebSocket shell: connects, resumes after a dropped connection from the server's
// `ready.position`, and reports a status the page can show. Protocol logic is in protocol.ts.

import { i18next } from "../i18n";
import { base64ToPcm, encodeFrame } from "./pcm";
import { StreamProtocol, type SavedStream } from "./protocol";

export type StreamState = "connecting" | "live" | "reconnecting" | "stopping" | "stopped" | "failed";

export interface StreamStatus {
  state: StreamState;
  /** A sentence for the person, set for reconnecting and failed. */
  message?: string;
  /** Captured audio not yet durable on the server, in seconds. */
  unacknowledged: number;
  streamId: string | null;
  /** Samples the server has acknowledged as durable. */
  position: number;
}

export interface StreamerOptions {
  url: string;
  meetingId: string;
  token: () => string | null;
  onStatus: (status: StreamStatus) => void;
  /** A microphone several people share; a stream resumed after a reload keeps its own. */
  room?: boolean;
  /** The server rejected the token: the session is over. */
  onUnauthorized: (reason: string) => void;
}

/** Close codes of the audio contract that retrying cannot fix. */
const FATAL: Record<number, string> = {
  4400: "messages.audioFormat",
  4404: "messages.audioGone",
};
const ACK_TIMEOUT_MS = 5000;
const MAX_BACKOFF_MS = 5000;

export class AudioStreamer {
  private readonly protocol: StreamProtocol;
  private socket: WebSocket | null = null;
  private state: StreamState = "connecting";
  private message: string | undefined;
  private attempts = 0;
  private retryTimer: number | undefined;
  private watchdog: number | undefined;
  private lastAckAt = 0;
  private ackedPosition = 0;
  private stopping: { resolve: () => void } | null = null;

  constructor(private readonly options: StreamerOptions) {
    const saved = loadSaved(options.meetingId);
    this.protocol = saved
      ? new StreamProtocol(
          saved.streamId,
          { position: saved.position, samples: base64ToPcm(saved.pcmBase64) },
          saved.room ?? false,
        )
      : new StreamProtocol(null, undefined, options.room ?? false);
    this.ackedPosition = saved?.position ?? 0;
  }

  /** Whether this stream is sent as a room microphone. */
  get room(): boolean {
    return this.protocol.room;
  }

  start(): void {
    this.connect();
    this.watchdog = window.setInterval(() => this.checkAcks(), 1000);
    window.addEventListener("pagehide", this.saveForReload);
  }

  /** Microphone audio from the worklet, 16 kHz mono s16le. */
  push(samples: Int16Array): void {
    if (this.state === "stopped" || this.state === "failed") return;
    this.send(this.protocol.onCapture(samples));
    this.report();
  }

  /** Send what is left, ask the server to close the stream, wait for `stopped`. */
  stop(timeoutMs = 5000): Promise<void> {
    window.removeEventListener("pagehide", this.saveForReload);
    clearSaved(this.options.meetingId);
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN || !this.protocol.ready) {
      this.finish("stopped");
      return Promise.resolve();
    }
    this.send(this.protocol.flush());
    this.state = "stopping";
    this.report();
    return new Promise<void>((resolve) => {
      const timer = window.setTimeout(() => {
        this.finish("stopped");
        resolve();
      }, timeoutMs);
      this.stopping = {
        resolve: () => {
          window.clearTimeout(timer);
          resolve();
        },
      };
      this.socket?.send(JSON.stringify({ type: "stop" }));
    });
  }

  /** Drop the connection without stopping the stream (leaving the page, tests of resume). */
  dispose(): void {
    this.saveForReload();
    window.removeEventListener("pagehide", this.saveForReload);
    this.finish("stopped");
  }

  private connect(): void {
    const token = this.options.token();
    if (!token) {
      this.options.onUnauthorized("missing token");
      this.finish("failed", i18next.t("messages.signedOut"));
      return;
    }
    const socket = new WebSocket(this.options.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify(this.protocol.startMessage(token)));
    socket.onmessage = (event) => {
      if (typeof event.data === "string") this.onControl(event.data);
    };
    socket.onclose = (event) => this.onClose(socket, event);
  }

  private onControl(data: string): void {
    let message: { type?: string; stream_id?: string; position?: number; reason?: string };
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === "ready" && message.stream_id !== undefined) {
      this.attempts = 0;
      this.lastAckAt = Date.now();
      this.state = "live";
      this.message = undefined;
      this.ackedPosition = message.position ?? 0;
      this.send(this.protocol.onReady(message.stream_id, message.position ?? 0));
      saveStreamId(this.options.meetingId, message.stream_id);
    } else if (message.type === "ack" && typeof message.position === "number") {
      this.lastAckAt = Date.now();
      this.ackedPosition = message.position;
      this.protocol.onAck(message.position);
    } else if (message.type === "stopped") {
      if (typeof message.position === "number") this.ackedPosition = message.position;
      this.finish("stopped");
      this.stopping?.resolve();
    }
    this.report();
  }

  private onClose(socket: WebSocket, event: CloseEvent): void {
    if (socket !== this.socket) return;
    this.protocol.onDisconnect();
    this.socket = null;
    if (this.state === "stopped" || this.state === "failed") return;
    if (this.state === "stopping") {
      this.finish("stopped");
      this.stopping?.resolve();
      return;
    }
    const reason = event.reason || `connection closed (${event.code})`;
    if (event.code === 4401) {
      this.finish("failed", i18next.t("messages.audioSession", { reason }));
      this.options.onUnauthorized(reason);
      return;
    }
    const fatal = FATAL[event.code];
    if (fatal) {
      this.finish("failed", i18next.t(fatal, { reason }));
      return;
    }
    this.state = "reconnecting";
    this.attempts += 1;
    const wait = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.attempts, 5)) * (0.75 + Math.random() / 2);
    this.message =
      event.code === 4409
        ? i18next.t("messages.streamOpen")
        : event.code === 1013
          ? i18next.t("messages.atCapacity", { reason })
          : i18next.t("messages.audioLost", { attempt: this.attempts });
    this.report();
    this.retryTimer = window.setTimeout(() => this.connect(), wait);
  }

  private checkAcks(): void {
    // A connection that takes audio but never acknowledges it is half-open: start over.
    const socket = this.socket;
    if (!socket || this.state !== "live" || this.protocol.unacknowledgedSeconds < 1) return;
    if (Date.now() - this.lastAckAt > ACK_TIMEOUT_MS) socket.close(4000, "no acknowledgement");
  }

  private send(frames: { samples: Int16Array }[]): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    for (const frame of frames) socket.send(encodeFrame(frame.samples));
  }

  private finish(state: "stopped" | "failed", message?: string): void {
    this.state = state;
    this.message = message;
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.watchdog);
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000, "client done");
    this.report();
  }

  private report(): void {
    this.options.onStatus({
      state: this.state,
      message: this.message,
      unacknowledged: this.protocol.unacknowledgedSeconds,
      streamId: this.protocol.streamId,
      position: this.ackedPosition,
    });
  }

  private readonly saveForReload = (): void => {
    const saved = this.protocol.save();
    if (saved) {
      try {
        sessionStorage.setItem(savedKey(this.options.meetingId), JSON.stringify(saved));
      } catch {
        // Storage full: the server still resumes the stream, only the last unacked moment is lost.
      }
    }
  };
}

function savedKey(meetingId: string): string {
  return `vori.stream.${meetingId}`;
}

function loadSaved(meetingId: string): SavedStream | null {
  try {
    const saved = JSON.parse(sessionStorage.getItem(savedKey(meetingId)) ?? "null");
    if (saved && typeof saved.streamId === "string") return saved as SavedStream;
  } catch {
    // Unreadable: start a new stream.
  }
  return null;
}

function saveStreamId(meetingId: string, streamId: string): void {
  const saved = loadSaved(meetingId);
  if (saved?.streamId === streamId) return;
  sessionStorage.setItem(
    savedKey(meetingId),
    JSON.stringify({ streamId, position: 0, pcmBase64: "", room: saved?.room ?? false }),
  );
}

function clearSaved(meetingId: string): void {
  sessionStorage.removeItem(savedKey(meetingId));
}

/** Whether this tab was streaming into the meeting before a reload. */
export function hasSavedStream(meetingId: string): boolean {
  return loadSaved(meetingId) !== null;
}
