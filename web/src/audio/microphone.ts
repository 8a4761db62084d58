// Microphone capture: getUserMedia, an AudioContext at 16 kHz, and the capture worklet.

import workletUrl from "./capture-worklet.ts?worker&url";
import type { CaptureMessage } from "./capture-worklet";
import { SAMPLE_RATE } from "./pcm";

export interface Microphone {
  deviceLabel: string;
  deviceId: string | undefined;
  setMuted(muted: boolean): void;
  close(): Promise<void>;
}

export interface CaptureCallbacks {
  onAudio: (samples: Int16Array) => void;
  onLevel: (rmsDb: number, peakDb: number) => void;
  onEnded: () => void;
}

export class MicrophoneError extends Error {}

/** A sentence for each way getUserMedia fails, saying what the person can do. */
export function microphoneErrorMessage(error: unknown): string {
  const name = error instanceof DOMException ? error.name : "";
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return "Microphone access was denied. Allow the microphone for this site (the icon in the address bar), then press Start again.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No microphone was found. Connect one or choose another device, then press Start again.";
    case "NotReadableError":
    case "AbortError":
      return "The microphone is busy or failed to start. Close other apps that use it, then press Start again.";
    default:
      return `The microphone could not be started: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export async function listMicrophones(): Promise<MediaDeviceInfo[]> {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((device) => device.kind === "audioinput");
}

export async function openMicrophone(deviceId: string | undefined, callbacks: CaptureCallbacks): Promise<Microphone> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MicrophoneError("This browser cannot capture audio here (it needs HTTPS or localhost).");
  }
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: {
        deviceId: deviceId ? { exact: deviceId } : undefined,
        channelCount: 1,
        // Raw audio transcribes best: the browser's noise suppression and gain control
        // smear word onsets, and the app plays nothing back that could echo.
        echoCancellation: false,
        noiseSuppression: false,
        autoGainControl: false,
      },
    });
  } catch (error) {
    throw new MicrophoneError(microphoneErrorMessage(error));
  }
  const track = stream.getAudioTracks()[0];
  let context: AudioContext;
  let source: MediaStreamAudioSourceNode;
  try {
    // Chromium resamples the microphone to the context's rate itself.
    context = new AudioContext({ sampleRate: SAMPLE_RATE, latencyHint: "interactive" });
    source = context.createMediaStreamSource(stream);
  } catch {
    // Firefox cannot connect a microphone to a context of another rate: capture at the
    // device rate and let the worklet resample.
    context = new AudioContext({ latencyHint: "interactive" });
    source = context.createMediaStreamSource(stream);
  }
  await context.audioWorklet.addModule(workletUrl);
  const node = new AudioWorkletNode(context, "vori-capture", { numberOfInputs: 1, numberOfOutputs: 0 });
  node.port.onmessage = (event: MessageEvent<CaptureMessage>) => {
    callbacks.onAudio(new Int16Array(event.data.pcm));
    callbacks.onLevel(event.data.rmsDb, event.data.peakDb);
  };
  source.connect(node);
  if (context.state === "suspended") await context.resume();
  track?.addEventListener("ended", callbacks.onEnded);
  return {
    deviceLabel: track?.label ?? "microphone",
    deviceId: track?.getSettings().deviceId,
    setMuted(muted: boolean) {
      node.port.postMessage({ muted });
    },
    async close() {
      track?.removeEventListener("ended", callbacks.onEnded);
      source.disconnect();
      node.port.onmessage = null;
      stream.getTracks().forEach((t) => t.stop());
      await context.close();
    },
  };
}
