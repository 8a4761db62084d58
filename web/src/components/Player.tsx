// The recording player of a meeting page: plays one stream from the moment a transcript
// line asked for, chunk after chunk, and reports where it is so the transcript follows.
// Chunks are fetched with the session's token and played from object URLs: the gateway
// checks access on every chunk and no audio URL works outside the session.

import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";

import { errorText } from "../api/client";
import { formatTime } from "../live/transcript";
import { type StreamRecording, chunkAt, chunkAudio } from "../playback/recordings";
import type { Playback } from "../playback/usePlayback";

interface Playing {
  stream: StreamRecording;
  index: number;
}

export function Player({ playback }: { playback: Playback }) {
  const { t } = useTranslation();
  const audio = useRef<HTMLAudioElement>(null);
  const objectUrl = useRef<string | null>(null);
  const loading = useRef<AbortController | null>(null);
  const [playing, setPlaying] = useState<Playing | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const { request, recordings, setPosition } = playback;

  async function load(stream: StreamRecording, index: number, offset: number) {
    const element = audio.current;
    const chunk = stream.chunks[index];
    if (!element || !chunk) return;
    loading.current?.abort();
    const controller = new AbortController();
    loading.current = controller;
    setStatus(t("player.loading"));
    try {
      const blob = await chunkAudio(chunk, controller.signal);
      if (controller.signal.aborted) return;
      if (objectUrl.current) URL.revokeObjectURL(objectUrl.current);
      objectUrl.current = URL.createObjectURL(blob);
      element.src = objectUrl.current;
      await new Promise<void>((resolve, reject) => {
        element.onloadedmetadata = () => resolve();
        element.onerror = () => reject(new Error(t("player.cannotPlay")));
      });
      element.currentTime = offset;
      setPlaying({ stream, index });
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

  useEffect(() => {
    if (!request || !recordings) return;
    const stream = recordings.streams.find((s) => s.stream_id === request.streamId);
    const found = stream ? chunkAt(stream, request.at) : null;
    if (!stream || !found) {
      setStatus(t("player.notRecorded"));
      return;
    }
    void load(stream, found.index, found.offset);
    // A new request (nonce) starts playback; a refreshed listing alone does not.
  }, [request]);

  useEffect(
    () => () => {
      loading.current?.abort();
      if (objectUrl.current) URL.revokeObjectURL(objectUrl.current);
    },
    [],
  );

  function onTimeUpdate() {
    const element = audio.current;
    const chunk = playing?.stream.chunks[playing.index];
    if (!element || !playing || !chunk) return;
    setPosition(playing.stream.stream_id, chunk.start + element.currentTime);
  }

  function onEnded() {
    if (!playing) return;
    // Later chunks may have been archived since the listing was read.
    const stream = recordings?.streams.find((s) => s.stream_id === playing.stream.stream_id) ?? playing.stream;
    if (playing.index + 1 < stream.chunks.length) void load(stream, playing.index + 1, 0);
    else setStatus(t("player.end"));
  }

  function stop() {
    loading.current?.abort();
    audio.current?.pause();
    setPlaying(null);
    setStatus(null);
    playback.stop();
  }

  if (!request) return null;
  const speaker = playing?.stream.speaker ?? recordings?.streams.find((s) => s.stream_id === request.streamId)?.speaker;
  return (
    <section className="panel player" aria-labelledby="player-heading">
      <div className="panel-head">
        <h2 id="player-heading">
          {speaker
            ? t("player.headingOf", { speaker, at: formatTime(request.at) })
            : t("player.heading", { at: formatTime(request.at) })}
        </h2>
        <button type="button" className="button-small" onClick={stop}>
          {t("player.close")}
        </button>
      </div>
      <audio
        ref={audio}
        controls
        preload="auto"
        onTimeUpdate={onTimeUpdate}
        onEnded={onEnded}
        aria-label={t("player.audio")}
        data-stream-id={playing?.stream.stream_id}
      />
      {status && (
        <p className="meta" role="status">
          {status}
        </p>
      )}
    </section>
  );
}
