// Pure audio helpers shared by the capture worklet and the page: float to PCM s16le,
// levels, a streaming resampler, and the buffer of audio the server has not acknowledged.

export const SAMPLE_RATE = 16000;

/** Float samples in [-1, 1] to signed 16-bit integers, clipping outside the range. */
export function floatToPcm16(input: Float32Array): Int16Array {
  const out = new Int16Array(input.length);
  for (let i = 0; i < input.length; i++) {
    const s = Math.max(-1, Math.min(1, input[i]!));
    out[i] = s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
  }
  return out;
}

export interface Level {
  /** Root mean square in dBFS (-100 for digital silence). */
  rmsDb: number;
  /** Peak in dBFS. */
  peakDb: number;
}

export function level(samples: Float32Array): Level {
  let sum = 0;
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = Math.abs(samples[i]!);
    sum += s * s;
    if (s > peak) peak = s;
  }
  const rms = samples.length ? Math.sqrt(sum / samples.length) : 0;
  const db = (value: number) => (value > 1e-5 ? 20 * Math.log10(value) : -100);
  return { rmsDb: db(rms), peakDb: db(peak) };
}

/**
 * Streaming band-limited resampler (windowed sinc), for browsers that cannot run an
 * AudioContext at 16 kHz on a microphone of another rate (Firefox). Chromium resamples
 * itself when the context is created at 16 kHz, and then this is never used.
 */
export class Resampler {
  private readonly ratio: number;
  private readonly halfTaps = 16;
  private readonly cutoff: number;
  private history = new Float32Array(0);
  /** Position of the next output sample, in input samples relative to `history[0]`. */
  private time: number;

  constructor(
    readonly inputRate: number,
    readonly outputRate: number = SAMPLE_RATE,
  ) {
    this.ratio = inputRate / outputRate;
    // Below the output Nyquist frequency, with a margin for the window's transition band.
    this.cutoff = Math.min(1, outputRate / inputRate) * 0.92;
    this.time = this.halfTaps;
    this.history = new Float32Array(this.halfTaps);
  }

  process(input: Float32Array): Float32Array {
    if (this.inputRate === this.outputRate) return input;
    const buffer = new Float32Array(this.history.length + input.length);
    buffer.set(this.history);
    buffer.set(input, this.history.length);
    const out: number[] = [];
    while (this.time + this.halfTaps < buffer.length) {
      out.push(this.sample(buffer, this.time));
      this.time += this.ratio;
    }
    // Keep what the next outputs still need to look back at.
    const keepFrom = Math.max(0, Math.floor(this.time) - this.halfTaps);
    this.history = buffer.slice(keepFrom);
    this.time -= keepFrom;
    return Float32Array.from(out);
  }

  private sample(buffer: Float32Array, time: number): number {
    const centre = Math.floor(time);
    let acc = 0;
    let norm = 0;
    for (let k = centre - this.halfTaps + 1; k <= centre + this.halfTaps; k++) {
      const x = time - k;
      const window = 0.5 * (1 + Math.cos((Math.PI * x) / this.halfTaps));
      const arg = Math.PI * x * this.cutoff;
      const sinc = Math.abs(arg) < 1e-9 ? 1 : Math.sin(arg) / arg;
      const weight = sinc * window;
      acc += (buffer[k] ?? 0) * weight;
      norm += weight;
    }
    return norm ? acc / norm : 0;
  }
}

/** A run of samples starting at a stream position. */
export interface Chunk {
  position: number;
  samples: Int16Array;
}

/**
 * Audio captured but not yet acknowledged as durable by the server, addressed by stream
 * position, so that after a reconnect exactly the samples from the server's `ready.position`
 * on can be sent again: nothing lost, nothing doubled.
 */
export class PendingAudio {
  private chunks: Chunk[] = [];
  /** Stream position of the next captured sample. */
  end: number;

  constructor(start = 0) {
    this.end = start;
  }

  /** Position of the oldest sample still kept. */
  get start(): number {
    return this.chunks[0]?.position ?? this.end;
  }

  get samples(): number {
    return this.end - this.start;
  }

  append(samples: Int16Array): Chunk {
    const chunk = { position: this.end, samples };
    this.chunks.push(chunk);
    this.end += samples.length;
    return chunk;
  }

  /** Forget everything before `position` (the server has it durably). */
  acknowledge(position: number): void {
    while (this.chunks.length) {
      const first = this.chunks[0]!;
      const firstEnd = first.position + first.samples.length;
      if (firstEnd <= position) {
        this.chunks.shift();
      } else if (first.position < position) {
        this.chunks[0] = { position, samples: first.samples.subarray(position - first.position) };
        break;
      } else {
        break;
      }
    }
  }

  /**
   * Realign to the server's durable position: audio before it is dropped; if the server has
   * less than we think (it lost nothing durable, but we never learnt of the ack), we resend.
   * Returns false when the server asks for audio we no longer have.
   */
  resumeAt(position: number): boolean {
    if (position < this.start) return false;
    if (position > this.end) {
      // The server holds more than we ever captured in this page: continue after it.
      this.chunks = [];
      this.end = position;
      return true;
    }
    this.acknowledge(position);
    return true;
  }

  /**
   * The kept audio from `position` on, as frames of `frameSamples`; a tail shorter than
   * `minSamples` stays back for the next call (the contract wants frames of 20-200 ms).
   * Frames may span captured chunks.
   */
  framesFrom(position: number, frameSamples: number, minSamples: number): Chunk[] {
    const from = Math.max(position, this.start);
    const frames: Chunk[] = [];
    let at = from;
    while (this.end - at >= frameSamples) {
      frames.push({ position: at, samples: this.copy(at, at + frameSamples) });
      at += frameSamples;
    }
    const rest = this.end - at;
    if (rest > 0 && rest >= minSamples) {
      frames.push({ position: at, samples: this.copy(at, this.end) });
    }
    return frames;
  }

  private copy(from: number, to: number): Int16Array {
    const out = new Int16Array(to - from);
    for (const chunk of this.chunks) {
      const chunkEnd = chunk.position + chunk.samples.length;
      if (chunkEnd <= from || chunk.position >= to) continue;
      const a = Math.max(from, chunk.position);
      const b = Math.min(to, chunkEnd);
      out.set(chunk.samples.subarray(a - chunk.position, b - chunk.position), a - from);
    }
    return out;
  }

  /** All kept audio as one array (for saving across a page reload). */
  snapshot(): Chunk {
    const out = new Int16Array(this.samples);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk.samples, at);
      at += chunk.samples.length;
    }
    return { position: this.start, samples: out };
  }
}

export function pcmToBase64(samples: Int16Array): string {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function base64ToPcm(text: string): Int16Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length - (binary.length % 2));
  for (let i = 0; i < bytes.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Int16Array(bytes.buffer);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of one binary WebSocket frame: PCM s16le, whatever the platform's byte order. */
export function encodeFrame(samples: Int16Array): ArrayBuffer {
  const buffer = new ArrayBuffer(samples.length * 2);
  if (LITTLE_ENDIAN) {
    new Int16Array(buffer).set(samples);
  } else {
    const view = new DataView(buffer);
    samples.forEach((s, i) => view.setInt16(i * 2, s, true));
  }
  return buffer;
}
