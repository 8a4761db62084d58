// The AudioWorklet that turns microphone blocks into 16 kHz mono PCM s16le frames.
// It runs on the audio thread: no allocation-heavy work beyond one frame at a time.

import { Resampler, SAMPLE_RATE, floatToPcm16, level } from "./pcm";

declare const sampleRate: number;
declare function registerProcessor(name: string, processor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}

/** Samples per frame sent to the page: 100 ms, inside the contract's 20–200 ms. */
const FRAME_SAMPLES = SAMPLE_RATE / 10;

export interface CaptureMessage {
  pcm: ArrayBuffer;
  rmsDb: number;
  peakDb: number;
}

class CaptureProcessor extends AudioWorkletProcessor {
  private muted = false;
  private readonly resampler = new Resampler(sampleRate, SAMPLE_RATE);
  private frame = new Float32Array(FRAME_SAMPLES);
  private filled = 0;

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<{ muted?: boolean }>) => {
      if (typeof event.data.muted === "boolean") this.muted = event.data.muted;
    };
  }

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    const mono = this.mix(channels);
    const block = this.resampler.process(mono);
    let offset = 0;
    while (offset < block.length) {
      const take = Math.min(FRAME_SAMPLES - this.filled, block.length - offset);
      this.frame.set(block.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === FRAME_SAMPLES) this.flush();
    }
    return true;
  }

  private mix(channels: Float32Array[]): Float32Array {
    if (channels.length === 1) return channels[0]!;
    const out = new Float32Array(channels[0]!.length);
    for (const channel of channels) for (let i = 0; i < out.length; i++) out[i]! += channel[i]! / channels.length;
    return out;
  }

  private flush(): void {
    // Muted audio is sent as silence so that stream time keeps pace with the meeting.
    if (this.muted) this.frame.fill(0);
    const { rmsDb, peakDb } = level(this.frame);
    const pcm = floatToPcm16(this.frame).buffer as ArrayBuffer;
    const message: CaptureMessage = { pcm, rmsDb, peakDb };
    this.port.postMessage(message, [pcm]);
    this.frame = new Float32Array(FRAME_SAMPLES);
    this.filled = 0;
  }
}

registerProcessor("vori-capture", CaptureProcessor);
