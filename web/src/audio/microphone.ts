// Microphone capture: getUserMedia, an AudioContext at 16 kHz, and the capture worklet.

import { i18next } from "../i18n";
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
      return i18next.t("messages.micDenied");
    case "NotFoundError":
    case "OverconstrainedError":
      return i18next.t("messages.micMissing");
    case "NotReadableError":
    case "AbortError":
      return i18next.t("messages.micBusy");
    default:
      return i18next.t("messages.micFailed", { reason: error instanceof Error ? error.message : String(error) });
  }
}

export async function listMicrophones(): Promise<MediaDeviceInfo[]> {
  if (!navigator.mediaDevices?.enumerateDevices) return [];
  const devices = await navigator.mediaDevices.enumerateDevices();
  return devices.filter((device) => device.kind === "audioinput");
}

export async function openMicrophone(deviceId: string | undefined, callbacks: CaptureCallbacks): Promise<Microphone> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MicrophoneError(i18next.t("messages.micInsecure"));
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
