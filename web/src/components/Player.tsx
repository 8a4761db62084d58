// The recording player of a meeting page: plays the meeting from the moment a transcript
// line asked for, and reports where it is so the transcript follows. With several
// microphones it plays everyone (windows of all streams mixed by the gateway on the
// meeting clock) or the one participant chosen; an uploaded recording plays as it was sent.
// Audio is fetched with the session's token and played from object URLs: the gateway
// checks access on every request and no audio URL works outside the session.

import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";

import { apiBlob, errorText } from "../api/client";
import { formatTime } from "../live/transcript";
import {
  type MixWindow,
  type StreamRecording,
  type UploadRecording,
  archivedStreams,
  chunkAt,
  meetingEnd,
  mixWindowAt,
  streamOffset,
  uploadOf,
} from "../playback/recordings";
import type { Playback } from "../playback/usePlayback";

type Playing =
  | { kind: "stream"; stream: StreamRecording; index: number }
  | { kind: "mix"; window: MixWindow }
  | { kind: "upload"; upload: UploadRecording; streamId: string };

const EVERYONE = "everyone";

export function Player({ playback }: { playback: Playback }) {
  const { t } = useTranslation();
  const audio = useRef<HTMLAudioElement>(null);
  const objectUrl = useRef<string | null>(null);
  const loading = useRef<AbortController | null>(null);
  const [playing, setPlaying] = useState<Playing | null>(null);
  const [source, setSource] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [listen, setListen] = useState(EVERYONE);
  const { request, recordings, setPosition } = playback;
  const archived = archivedStreams(recordings);

  async function load(path: string, offset: number, next: Playing) {
    const element = audio.current;
    if (!element) return;
    loading.current?.abort();
    const controller = new AbortController();
    loading.current = controller;
    setStatus(t("player.loading"));
    try {
      const blob = await apiBlob(path, controller.signal);
      if (controller.signal.aborted) return;
      if (objectUrl.current) URL.revokeObjectURL(objectUrl.current);
      objectUrl.current = URL.createObjectURL(blob);
      element.src = objectUrl.current;
      await new Promise<void>((resolve, reject) => {
        element.onloadedmetadata = () => resolve();
        element.onerror = () => reject(new Error(t("player.cannotPlay")));
      });
      element.currentTime = offset;
      setPlaying(next);
      setSource(path);
      setStatus(null);
      await element.play().catch((failure: unknown) => {
        // Autoplay refused (no user gesture reached here): the controls still work.
        if (failure instanceof DOMException && failure.name === "NotAllowedError") setStatus(t("player.pressPlay"));
        else throw failure;
      });
    } catch (failure) {
      if (failure instanceof DOMException && failure.name === "AbortError") return;
      setStatus(errorText(failure));
    }
  }

  function playStream(stream: StreamRecording, at: number) {
    const found = chunkAt(stream, at);
    if (!found) {
      setStatus(t("player.notRecorded"));
      return;
    }
    void load(found.chunk.url, found.offset, { kind: "stream", stream, index: found.index });
  }

  /** Play from second `at` of the meeting clock; `streamId` is the line's stream. */
  function playMeeting(at: number, streamId: string, listenTo: string) {
    if (!recordings) return;
    if (listenTo === EVERYONE && archived.length > 1) {
      const window = mixWindowAt(recordings, at);
      if (window) void load(window.url, at - window.from, { kind: "mix", window });
      else setStatus(t("player.notRecorded"));
      return;
    }
    const stream = archived.find((s) => s.stream_id === (listenTo === EVERYONE ? streamId : listenTo));
    if (stream) playStream(stream, Math.max(0, at - stream.offset));
    else setStatus(t("player.notRecorded"));
  }

  useEffect(() => {
    if (!request || !recordings) return;
    const upload = uploadOf(recordings, request.streamId);
    if (upload) {
      void load(upload.url, request.at, { kind: "upload", upload, streamId: request.streamId });
      return;
    }
    playMeeting(streamOffset(recordings, request.streamId) + request.at, request.streamId, listen);
    // A new request (nonce) starts playback; a refreshed listing alone does not.
  }, [request]);

  useEffect(
    () => () => {
      loading.current?.abort();
      if (objectUrl.current) URL.revokeObjectURL(objectUrl.current);
    },
    [],
  );

  /** Where the player is on the meeting clock (null for an upload or nothing loaded). */
  function meetingPosition(): number | null {
    const element = audio.current;
    if (!element || !playing) return null;
    if (playing.kind === "mix") return playing.window.from + element.currentTime;
    if (playing.kind === "stream") {
      const chunk = playing.stream.chunks[playing.index];
      return chunk ? playing.stream.offset + chunk.start + element.currentTime : null;
    }
    return null;
  }

  function choose(listenTo: string) {
    setListen(listenTo);
    const at = meetingPosition();
    if (request && at !== null) playMeeting(at, request.streamId, listenTo);
  }

  function onTimeUpdate() {
    const element = audio.current;
    if (!element || !playing) return;
    if (playing.kind === "mix") setPosition(null, playing.window.from + element.currentTime);
    else if (playing.kind === "upload") setPosition(playing.streamId, element.currentTime);
    else {
      const chunk = playing.stream.chunks[playing.index];
      if (chunk) setPosition(playing.stream.stream_id, chunk.start + element.currentTime);
    }
  }

  function onEnded() {
    if (!playing) return;
    if (playing.kind === "mix" && recordings) {
      // Later audio may have been archived since the listing was read: the listing's end.
      const next = playing.window.to < meetingEnd(recordings) ? mixWindowAt(recordings, playing.window.to) : null;
      if (next) void load(next.url, 0, { kind: "mix", window: next });
      else setStatus(t("player.end"));
      return;
    }
    if (playing.kind === "stream") {
      const stream = recordings?.streams.find((s) => s.stream_id === playing.stream.stream_id) ?? playing.stream;
      const chunk = stream.chunks[playing.index + 1];
      if (chunk) {
        void load(chunk.url, 0, { kind: "stream", stream, index: playing.index + 1 });
        return;
      }
    }
    setStatus(t("player.end"));
  }

  function stop() {
    loading.current?.abort();
    audio.current?.pause();
    setPlaying(null);
    setSource(null);
    setStatus(null);
    playback.stop();
  }

  if (!request) return null;
  // The meeting clock, as the transcript's Play controls say it (an upload: its file's time).
  const at = formatTime(uploadOf(recordings, request.streamId) ? request.at : streamOffset(recordings, request.streamId) + request.at);
  let heading: string;
  if (playing?.kind === "upload") heading = t("player.headingUpload", { name: playing.upload.filename, at });
  else if (playing?.kind === "mix") heading = t("player.headingEveryone", { at });
  else {
    const speaker = playing?.stream.speaker ?? recordings?.streams.find((s) => s.stream_id === request.streamId)?.speaker;
    heading = speaker ? t("player.headingOf", { speaker, at }) : t("player.heading", { at });
  }
  const streamId = playing?.kind === "stream" ? playing.stream.stream_id : playing?.kind === "upload" ? playing.streamId : undefined;
  return (
    <section className="panel player" aria-labelledby="player-heading">
      <div className="panel-head">
        <h2 id="player-heading">{heading}</h2>
        <button type="button" className="button-small" onClick={stop}>
          {t("player.close")}
        </button>
      </div>
      {archived.length > 1 && playing?.kind !== "upload" && (
        <label className="device-picker">
          {t("player.listen")}
          <select value={listen} onChange={(e) => choose(e.target.value)}>
            <option value={EVERYONE}>{t("player.everyone")}</option>
            {archived.map((stream) => (
              <option key={stream.stream_id} value={stream.stream_id}>
                {stream.speaker ?? stream.participant_id ?? stream.stream_id}
              </option>
            ))}
          </select>
        </label>
      )}
      <audio
        ref={audio}
        controls
        preload="auto"
        onTimeUpdate={onTimeUpdate}
        onEnded={onEnded}
        aria-label={t("player.audio")}
        data-stream-id={streamId}
        data-mix-from={playing?.kind === "mix" ? playing.window.from : undefined}
        data-source={source ?? undefined}
      />
      {status && (
        <p className="meta" role="status">
          {status}
        </p>
      )}
    </section>
  );
}
