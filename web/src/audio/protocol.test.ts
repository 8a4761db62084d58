import { describe, expect, it } from "vitest";

import { FRAME_SAMPLES, MIN_FRAME_SAMPLES, StreamProtocol } from "./protocol";
import { PendingAudio, Resampler, base64ToPcm, floatToPcm16, pcmToBase64 } from "./pcm";

function ramp(from: number, length: number): Int16Array {
  return Int16Array.from({ length }, (_, i) => (from + i) % 30000);
}

function concat(frames: { position: number; samples: Int16Array }[]): { start: number; samples: number[] } {
  return { start: frames[0]?.position ?? -1, samples: frames.flatMap((f) => Array.from(f.samples)) };
}

describe("StreamProtocol", () => {
  it("sends nothing before ready and the whole backlog after it", () => {
    const protocol = new StreamProtocol();
    expect(protocol.onCapture(ramp(0, 1600))).toEqual([]);
    expect(protocol.onCapture(ramp(1600, 1600))).toEqual([]);
    const frames = protocol.onReady("s1", 0);
    expect(concat(frames)).toEqual({ start: 0, samples: Array.from(ramp(0, 3200)) });
    expect(frames.every((f) => f.samples.length <= FRAME_SAMPLES)).toBe(true);
  });

  it("resends exactly the unacknowledged audio after a dropped connection", () => {
    const protocol = new StreamProtocol();
    protocol.onReady("s1", 0);
    for (let i = 0; i < 10; i++) protocol.onCapture(ramp(i * 1600, 1600));
    protocol.onAck(4000);
    protocol.onDisconnect();
    // Audio keeps coming while the connection is down.
    expect(protocol.onCapture(ramp(16000, 1600))).toEqual([]);
    // The server had more than it acknowledged to us: it says so in ready.
    const frames = protocol.onReady("s1", 5000);
    const sent = concat(frames);
    expect(sent.start).toBe(5000);
    expect(sent.samples).toEqual(Array.from(ramp(5000, 17600 - 5000)));
    // Contiguous, and every frame inside the contract's 20-200 ms.
    let at = 5000;
    for (const frame of frames) {
      expect(frame.position).toBe(at);
      expect(frame.samples.length).toBeGreaterThanOrEqual(MIN_FRAME_SAMPLES);
      at += frame.samples.length;
    }
  });

  it("holds back a tail shorter than 20 ms until more audio arrives", () => {
    const protocol = new StreamProtocol();
    protocol.onCapture(ramp(0, 1700));
    const frames = protocol.onReady("s1", 0);
    expect(frames.map((f) => f.samples.length)).toEqual([1600]);
    const next = protocol.onCapture(ramp(1700, 1600));
    expect(next[0]!.position).toBe(1600);
    expect(concat(next).samples).toEqual(Array.from(ramp(1600, 1600)));
  });

  it("pads the last frame to 20 ms on stop", () => {
    const protocol = new StreamProtocol();
    protocol.onReady("s1", 0);
    protocol.onCapture(ramp(0, 1650));
    const frames = protocol.flush();
    expect(frames.map((f) => f.samples.length)).toEqual([MIN_FRAME_SAMPLES]);
    expect(frames[0]!.position).toBe(1600);
  });

  it("marks a room microphone on every start, resumes and reloads included", () => {
    const room = new StreamProtocol(null, undefined, true);
    expect(room.startMessage("t").room).toBe(true);
    room.onReady("s7", 0);
    expect(room.startMessage("t")).toMatchObject({ stream_id: "s7", room: true });
    const saved = room.save()!;
    expect(saved.room).toBe(true);
    const reloaded = new StreamProtocol(saved.streamId, { position: saved.position, samples: new Int16Array() }, saved.room);
    expect(reloaded.startMessage("t").room).toBe(true);
  });

  it("resumes a stream saved before a page reload", () => {
    const first = new StreamProtocol();
    first.onReady("s9", 0);
    for (let i = 0; i < 5; i++) first.onCapture(ramp(i * 1600, 1600));
    first.onAck(3200);
    const saved = first.save()!;
    expect(saved.streamId).toBe("s9");

    const second = new StreamProtocol(saved.streamId, { position: saved.position, samples: base64ToPcm(saved.pcmBase64) });
    expect(second.startMessage("t").stream_id).toBe("s9");
    expect(second.startMessage("t").room).toBeUndefined();
    second.onCapture(ramp(8000, 1600));
    const frames = second.onReady("s9", 4800);
    expect(concat(frames)).toEqual({ start: 4800, samples: Array.from(ramp(4800, 9600 - 4800)) });
  });

  it("continues after the server's position when the page saved less than the server holds", () => {
    const protocol = new StreamProtocol("s2", { position: 0, samples: new Int16Array(0) });
    protocol.onCapture(ramp(0, 1600));
    const frames = protocol.onReady("s2", 48000);
    expect(concat(frames)).toEqual({ start: 48000, samples: Array.from(ramp(0, 1600)) });
  });
});

describe("PendingAudio", () => {
  it("forgets acknowledged audio, also in the middle of a chunk", () => {
    const pending = new PendingAudio();
    pending.append(ramp(0, 1000));
    pending.append(ramp(1000, 1000));
    pending.acknowledge(1500);
    expect(pending.start).toBe(1500);
    expect(pending.samples).toBe(500);
    expect(Array.from(pending.snapshot().samples)).toEqual(Array.from(ramp(1500, 500)));
  });
});

describe("pcm helpers", () => {
  it("converts floats to s16 with clipping", () => {
    expect(Array.from(floatToPcm16(Float32Array.from([0, 1, -1, 2, -2, 0.5])))).toEqual([
      0, 32767, -32768, 32767, -32768, 16384,
    ]);
  });

  it("round-trips PCM through base64", () => {
    const samples = ramp(100, 999);
    expect(Array.from(base64ToPcm(pcmToBase64(samples)))).toEqual(Array.from(samples));
  });

  it("resamples 48 kHz to 16 kHz keeping a 440 Hz tone and its level", () => {
    const resampler = new Resampler(48000, 16000);
    const input = Float32Array.from({ length: 48000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 48000));
    const out: number[] = [];
    for (let i = 0; i < input.length; i += 128) out.push(...resampler.process(input.subarray(i, i + 128)));
    expect(Math.abs(out.length - 16000)).toBeLessThanOrEqual(32);
    const steady = out.slice(100, 15800);
    const rms = Math.sqrt(steady.reduce((a, s) => a + s * s, 0) / steady.length);
    expect(rms).toBeCloseTo(0.5 / Math.SQRT2, 2);
    // Compare with the ideal tone at the output rate, allowing the filter's group delay.
    let best = Infinity;
    for (let lag = 0; lag < 40; lag++) {
      let err = 0;
      for (let i = 200; i < 15000; i++) err += (steady[i - 100]! - 0.5 * Math.sin((2 * Math.PI * 440 * (i - lag)) / 16000)) ** 2;
      best = Math.min(best, err / 14800);
    }
    expect(best).toBeLessThan(1e-3);
  });

  it("removes a tone above the new Nyquist frequency", () => {
    const resampler = new Resampler(48000, 16000);
    const input = Float32Array.from({ length: 48000 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 12000 * i) / 48000));
    const out = resampler.process(input).slice(100, -100);
    const rms = Math.sqrt(out.reduce((a, s) => a + s * s, 0) / out.length);
    expect(rms).toBeLessThan(0.02);
  });
});
