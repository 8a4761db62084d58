// The client side of the audio WebSocket contract as a pure state machine: which bytes to
// send after `ready`, after each capture and after `stop`, given the server's positions.
// The WebSocket shell (streamer.ts) only moves messages; the logic is tested here.

import { type Chunk, PendingAudio, SAMPLE_RATE, pcmToBase64 } from "./pcm";

/** 100 ms frames, never shorter than the contract's 20 ms (a final flush is padded). */
export const FRAME_SAMPLES = SAMPLE_RATE / 10;
export const MIN_FRAME_SAMPLES = SAMPLE_RATE / 50;

export interface SavedStream {
  streamId: string;
  position: number;
  pcmBase64: string;
  /** Several people share the microphone (kept so that a reload resumes it as such). */
  room?: boolean;
}

export interface StartMessage {
  type: "start";
  token: string;
  sample_rate: number;
  encoding: "pcm_s16le";
  channels: 1;
  stream_id?: string;
  /** A room microphone: the transcriber tells the voices on it apart (per connection). */
  room?: boolean;
}

export class StreamProtocol {
  pending: PendingAudio;
  streamId: string | null;
  /** Next position to send on the open connection; null until the server said `ready`. */
  private sentUpTo: number | null = null;
  /** Samples of silence sent because the server asked for audio that no longer existed. */
  lostSamples = 0;
  /** Where this page's own capture starts, until the first `ready` (see onReady). */
  private freshFrom: number | null;

  /** Sent with every `start`, resumes included: the server takes it per connection. */
  readonly room: boolean;

  constructor(streamId: string | null = null, restored?: Chunk, room = false) {
    this.streamId = streamId;
    this.room = room;
    this.pending = new PendingAudio(restored?.position ?? 0);
    if (restored && restored.samples.length) this.pending.append(restored.samples);
    this.freshFrom = this.pending.end;
  }

  get ready(): boolean {
    return this.sentUpTo !== null;
  }

  startMessage(token: string): StartMessage {
    const message: StartMessage = {
      type: "start",
      token,
      sample_rate: SAMPLE_RATE,
      encoding: "pcm_s16le",
      channels: 1,
    };
    if (this.streamId) message.stream_id = this.streamId;
    if (this.room) message.room = true;
    return message;
  }

  /** The server is ready from `position`: the frames to send now (resent backlog first). */
  onReady(streamId: string, position: number): Chunk[] {
    this.streamId = streamId;
    const freshFrom = this.freshFrom;
    this.freshFrom = null;
    if (freshFrom !== null && position > freshFrom) {
      // The server holds more of this stream than the page saved before a reload: this
      // page's audio follows what the server has, not what we remembered.
      const fresh = this.pending.framesFrom(freshFrom, Number.MAX_SAFE_INTEGER, 1)[0];
      this.pending = new PendingAudio(position);
      if (fresh) this.pending.append(fresh.samples);
    } else if (!this.pending.resumeAt(position)) {
      // The server lost audio it had acknowledged: keep stream time by filling the hole.
      const missing = this.pending.start - position;
      this.lostSamples += missing;
      const backlog = this.pending.snapshot();
      const filled = new Int16Array(missing + backlog.samples.length);
      filled.set(backlog.samples, missing);
      this.pending = new PendingAudio(position);
      this.pending.append(filled);
    }
    this.sentUpTo = position;
    return this.take();
  }

  /** New microphone audio: the frames to send now (none while disconnected). */
  onCapture(samples: Int16Array): Chunk[] {
    this.pending.append(samples);
    return this.ready ? this.take() : [];
  }

  onAck(position: number): void {
    this.pending.acknowledge(Math.min(position, this.pending.end));
  }

  /** Before `stop`: whatever is still held back, padded with silence to the 20 ms minimum. */
  flush(): Chunk[] {
    if (!this.ready) return [];
    const rest = (this.pending.end - (this.sentUpTo ?? 0)) % FRAME_SAMPLES;
    if (rest > 0 && rest < MIN_FRAME_SAMPLES) this.pending.append(new Int16Array(MIN_FRAME_SAMPLES - rest));
    return this.take();
  }

  onDisconnect(): void {
    this.sentUpTo = null;
  }

  /** Audio captured but not yet durable, in seconds. */
  get unacknowledgedSeconds(): number {
    return this.pending.samples / SAMPLE_RATE;
  }

  save(): SavedStream | null {
    if (!this.streamId) return null;
    const { position, samples } = this.pending.snapshot();
    return { streamId: this.streamId, position, pcmBase64: pcmToBase64(samples), room: this.room };
  }

  private take(): Chunk[] {
    const frames = this.pending.framesFrom(this.sentUpTo ?? 0, FRAME_SAMPLES, MIN_FRAME_SAMPLES);
    const last = frames[frames.length - 1];
    if (last) this.sentUpTo = last.position + last.samples.length;
    return frames;
  }
}
