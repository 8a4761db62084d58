// The one reconnecting WebSocket of the web app, shared by the meeting's live events and the
// person's notifications channel: sign in with the first text frame, hand each JSON text frame
// on, and after a dropped connection open a new one with jittered exponential back-off, except
// after a close code that says retrying cannot help (docs/protocol.md).

/** The token was missing, bad or expired: never reconnect with it. */
export const CLOSE_UNAUTHORIZED = 4401;
/** No such resource, or the caller is no longer a member of it. */
export const CLOSE_NOT_FOUND = 4404;

/** Waits between reconnects: `baseMs * 2^min(attempt, maxExponent)`, at most `maxMs`, each
 * jittered by ±25% so that many clients dropped at once do not return at once. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
  maxExponent: number;
}

/** The wait before reconnect number `attempt` (1 for the first); `random` in [0, 1). */
export function backoffDelay(backoff: Backoff, attempt: number, random: number): number {
  const wait = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt, backoff.maxExponent));
  return wait * (0.75 + random / 2);
}

export interface ReconnectingSocketOptions {
  /** The socket's address, read at every connect. */
  url: () => string;
  token: () => string | null;
  backoff: Backoff;
  /** The first text frame once open: `{"type":"auth","token":…}` plus these fields. */
  authFields?: () => Record<string, unknown>;
  /** No token to connect with: nothing is opened. */
  onMissingToken?: () => void;
  /** A connection is being opened; `reconnecting` after a dropped one. */
  onConnecting?: (reconnecting: boolean) => void;
  /** The socket opened and the auth frame went out. */
  onOpen?: () => void;
  /** Each JSON text frame; binary and non-JSON frames are ignored. */
  onMessage: (message: unknown) => void;
  /** Closed with 4401: the socket stays closed (a caller may renew the token and `start()`). */
  onUnauthorized: (reason: string) => void;
  /** Other close codes after which the socket stays closed, each with its handler. */
  finalCloses?: Record<number, (reason: string) => void>;
  /** The connection dropped and a reconnect is scheduled. */
  onDropped?: (reason: string) => void;
}

/** A WebSocket that signs in, and reconnects with back-off until closed or refused. */
export class ReconnectingSocket {
  private socket: WebSocket | null = null;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(private readonly options: ReconnectingSocketOptions) {}

  start(): void {
    this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, "page closed");
    this.socket = null;
  }

  private connect(): void {
    const options = this.options;
    const token = options.token();
    if (!token) {
      options.onMissingToken?.();
      return;
    }
    options.onConnecting?.(this.attempts > 0);
    const socket = new WebSocket(options.url());
    this.socket = socket;
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "auth", token, ...options.authFields?.() }));
      options.onOpen?.();
    };
    socket.onmessage = (message) => {
      if (typeof message.data !== "string") return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        return; // not JSON: ignored
      }
      this.attempts = 0; // the server answers: the next drop starts the back-off afresh
      options.onMessage(parsed);
    };
    socket.onclose = (event) => {
      if (socket !== this.socket || this.closed) return;
      this.socket = null;
      if (event.code === CLOSE_UNAUTHORIZED) {
        options.onUnauthorized(event.reason || "token rejected");
        return;
      }
      const final = options.finalCloses?.[event.code];
      if (final) {
        final(event.reason);
        return;
      }
      this.attempts += 1;
      options.onDropped?.(event.reason);
      this.timer = setTimeout(() => this.connect(), backoffDelay(options.backoff, this.attempts, Math.random()));
    };
  }
}
