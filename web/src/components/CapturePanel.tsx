// The microphone: device picker, start/stop, mute, level meter and the stream's status.

import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";

import { EXPIRED_NOTICE, endSession, getToken } from "../api/session";
import type { ClientConfig } from "../api/types";
import { type Microphone, MicrophoneError, listMicrophones, openMicrophone } from "../audio/microphone";
import { AudioStreamer, type StreamStatus, hasSavedStream } from "../audio/streamer";
import { useFormat } from "../i18n/format";
import { ErrorMessage } from "./Notice";

export interface CaptureHandle {
  stop: () => Promise<void>;
}

interface Props {
  meetingId: string;
  config: ClientConfig | undefined;
  disabled: boolean;
  onHandle: (handle: CaptureHandle | null) => void;
  /** The stream this panel sends as a room microphone (null: none), once the server named it. */
  onRoomStream?: (streamId: string | null) => void;
}

const STATE_TEXT: Record<StreamStatus["state"], string> = {
  connecting: "capture.connecting",
  live: "capture.live",
  reconnecting: "capture.reconnecting",
  stopping: "capture.stopping",
  stopped: "capture.stopped",
  failed: "capture.failed",
};

export function CapturePanel({ meetingId, config, disabled, onHandle, onRoomStream }: Props) {
  const { t } = useTranslation();
  const format = useFormat();
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [deviceId, setDeviceId] = useState<string>("");
  const [running, setRunning] = useState(false);
  const [starting, setStarting] = useState(false);
  const [muted, setMuted] = useState(false);
  // Several people share this device: the transcriber tells their voices apart.
  const [room, setRoom] = useState(false);
  const [levelDb, setLevelDb] = useState(-100);
  const [status, setStatus] = useState<StreamStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const microphone = useRef<Microphone | null>(null);
  const streamer = useRef<AudioStreamer | null>(null);
  const autoStarted = useRef(false);

  const refreshDevices = useCallback(async () => {
    try {
      setDevices(await listMicrophones());
    } catch {
      setDevices([]);
    }
  }, []);

  useEffect(() => {
    void refreshDevices();
    navigator.mediaDevices?.addEventListener?.("devicechange", refreshDevices);
    return () => navigator.mediaDevices?.removeEventListener?.("devicechange", refreshDevices);
  }, [refreshDevices]);

  const openMic = useCallback(
    async (id: string) => {
      const mic = await openMicrophone(id || undefined, {
        onAudio: (samples) => streamer.current?.push(samples),
        onLevel: (rmsDb) => setLevelDb(rmsDb),
        onEnded: () => setError(t("capture.disconnected")),
      });
      microphone.current = mic;
      if (mic.deviceId && !id) setDeviceId(mic.deviceId);
      void refreshDevices();
      return mic;
    },
    [refreshDevices, t],
  );

  const stop = useCallback(async () => {
    const s = streamer.current;
    streamer.current = null;
    const mic = microphone.current;
    microphone.current = null;
    await mic?.close();
    await s?.stop();
    setRunning(false);
    setLevelDb(-100);
  }, []);

  const start = useCallback(async () => {
    if (!config || streamer.current) return;
    setError(null);
    setStarting(true);
    const url = config.audio_ws_url.replace(/\/$/, "") + config.audio_path_template.replace("{meeting_id}", encodeURIComponent(meetingId));
    const s = new AudioStreamer({
      url,
      meetingId,
      token: getToken,
      room,
      onStatus: setStatus,
      onUnauthorized: (reason) => endSession(/expired/i.test(reason) ? EXPIRED_NOTICE : t("capture.signInAgain", { reason })),
    });
    streamer.current = s;
    setRoom(s.room); // a stream resumed after a reload keeps what it was
    try {
      await openMic(deviceId);
      microphone.current?.setMuted(muted);
      s.start();
      setRunning(true);
    } catch (reason) {
      streamer.current = null;
      s.dispose();
      setError(reason instanceof MicrophoneError ? reason.message : String(reason));
    } finally {
      setStarting(false);
    }
  }, [config, deviceId, meetingId, muted, openMic, room, t]);

  // After a reload in the middle of a meeting, pick the stream up where it was.
  useEffect(() => {
    if (autoStarted.current || !config || disabled || !hasSavedStream(meetingId)) return;
    autoStarted.current = true;
    void start();
  }, [config, disabled, meetingId, start]);

  useEffect(() => {
    onHandle({ stop });
    return () => onHandle(null);
  }, [onHandle, stop]);

  const roomStream = running && room ? (status?.streamId ?? null) : null;
  useEffect(() => {
    onRoomStream?.(roomStream);
  }, [onRoomStream, roomStream]);

  useEffect(
    () => () => {
      // Leaving the page without stopping: the stream can be resumed when the person returns.
      void microphone.current?.close();
      streamer.current?.dispose();
    },
    [],
  );

  async function changeDevice(id: string) {
    setDeviceId(id);
    if (!running) return;
    await microphone.current?.close();
    try {
      const mic = await openMic(id);
      mic.setMuted(muted);
    } catch (reason) {
      setError(reason instanceof MicrophoneError ? reason.message : String(reason));
    }
  }

  function toggleMute() {
    const next = !muted;
    setMuted(next);
    microphone.current?.setMuted(next);
  }

  const state = status?.state;
  const statusText = !running && !starting ? t("capture.stopped") : state ? t(STATE_TEXT[state]) : t("capture.starting");
  const levelPercent = muted ? 0 : Math.max(0, Math.min(100, ((levelDb + 60) / 60) * 100));

  return (
    <section className="panel capture" aria-labelledby="capture-heading">
      <h2 id="capture-heading">{t("capture.heading")}</h2>
      <div className="capture-controls">
        <label className="device-picker">
          {t("capture.microphone")}
          <select value={deviceId} onChange={(e) => void changeDevice(e.target.value)} disabled={disabled}>
            <option value="">{t("capture.default")}</option>
            {devices
              .filter((d) => d.deviceId && d.deviceId !== "default")
              .map((d, i) => (
                <option key={d.deviceId} value={d.deviceId}>
                  {d.label || t("capture.numbered", { n: i + 1 })}
                </option>
              ))}
          </select>
        </label>
        {running ? (
          <button type="button" onClick={() => void stop()} disabled={state === "stopping"}>
            {t("capture.stop")}
          </button>
        ) : (
          <button type="button" className="button-primary" onClick={() => void start()} disabled={disabled || starting || !config}>
            {starting ? t("capture.starting") : t("capture.start")}
          </button>
        )}
        <button type="button" aria-pressed={muted} onClick={toggleMute} disabled={!running}>
          {muted ? t("capture.unmute") : t("capture.mute")}
        </button>
      </div>
      <label className="room-microphone">
        <input
          type="checkbox"
          checked={room}
          onChange={(e) => setRoom(e.target.checked)}
          disabled={disabled || running || starting}
        />
        {t("capture.room")}
      </label>
      <div className="level" aria-hidden={!running}>
        <span className="level-label" id="level-label">
          {t("capture.level")}
        </span>
        <div
          className="level-meter"
          role="meter"
          aria-labelledby="level-label"
          aria-valuemin={-60}
          aria-valuemax={0}
          aria-valuenow={Math.round(Math.max(-60, levelDb))}
          aria-valuetext={muted ? t("capture.mutedValue") : `${Math.round(Math.max(-60, levelDb))} dB`}
        >
          <div className={`level-fill${levelDb > -3 ? " level-hot" : ""}`} style={{ width: `${levelPercent}%` }} />
        </div>
      </div>
      <p className={`capture-status capture-${running ? (state ?? "connecting") : "off"}`} role="status" data-state={running ? state : "off"}>
        {muted && running ? t("capture.muted") : ""}
        {statusText}
        {status?.message && running ? ` ${status.message}` : ""}
        {running && status && status.unacknowledged > 1
          ? t("capture.waiting", { seconds: format.number(status.unacknowledged, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) })
          : ""}
      </p>
      <ErrorMessage>{error ?? (status?.state === "failed" ? status.message : null)}</ErrorMessage>
    </section>
  );
}
