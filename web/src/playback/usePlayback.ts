// The playback state of a meeting page: the archived recordings, what was asked to play,
// where the player is, and which transcript line that is (the transcript follows it).

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { errorText } from "../api/client";
import type { Segment } from "../api/types";
import { type Recordings, listRecordings, segmentAt, segmentAtMeeting, uploadOf } from "./recordings";

// A live meeting's recordings grow by a chunk every 30 s: the listing is refreshed so.
const REFRESH_MS = 30_000;

/** What the transcript needs: a play control per line and the line that is playing. */
export interface SegmentPlayback {
  playingId: string | null;
  canPlay: (segment: Segment) => boolean;
  play: (segment: Segment) => void;
}

export interface PlayRequest {
  streamId: string;
  /** Seconds of stream time to start at. */
  at: number;
  nonce: number;
}

export interface Playback extends SegmentPlayback {
  recordings: Recordings | null;
  error: string | null;
  request: PlayRequest | null;
  /** Where the player is: seconds of a stream's time, or of the meeting clock (`null`: the mix). */
  setPosition: (streamId: string | null, at: number) => void;
  stop: () => void;
  /** Read the listing again (after a change of retention, say). */
  reload: () => Promise<Recordings | null>;
}

export function usePlayback(meetingId: string, finals: Segment[]): Playback {
  const [recordings, setRecordings] = useState<Recordings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [request, setRequest] = useState<PlayRequest | null>(null);
  const [position, setPositionState] = useState<{ streamId: string | null; at: number } | null>(null);
  const nonce = useRef(0);

  const refresh = useCallback(async () => {
    try {
      const found = await listRecordings(meetingId);
      setRecordings(found);
      setError(null);
      return found;
    } catch (failure) {
      setError(errorText(failure));
      return null;
    }
  }, [meetingId]);

  useEffect(() => {
    void refresh();
    const timer = window.setInterval(() => void refresh(), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [refresh]);

  const canPlay = useCallback(
    (segment: Segment) =>
      !!uploadOf(recordings, segment.stream_id) ||
      !!recordings?.streams.some((s) => s.stream_id === segment.stream_id && s.chunks.length > 0),
    [recordings],
  );

  const play = useCallback(
    (segment: Segment) => {
      // The newest chunks may be younger than the listing: read it again, then play.
      void refresh().then(() => {
        nonce.current += 1;
        setRequest({ streamId: segment.stream_id, at: segment.start, nonce: nonce.current });
        setPositionState({ streamId: segment.stream_id, at: segment.start });
      });
    },
    [refresh],
  );

  const setPosition = useCallback((streamId: string | null, at: number) => setPositionState({ streamId, at }), []);
  const stop = useCallback(() => {
    setRequest(null);
    setPositionState(null);
  }, []);

  const offsets = useMemo(
    () => new Map((recordings?.streams ?? []).map((stream) => [stream.stream_id, stream.offset])),
    [recordings],
  );
  const playingId = useMemo(() => {
    if (!position) return null;
    const found =
      position.streamId === null
        ? segmentAtMeeting(finals, offsets, position.at)
        : segmentAt(finals, position.streamId, position.at);
    return found?.id ?? null;
  }, [finals, offsets, position]);

  // The transcript follows the audio: the playing line is kept in view.
  useEffect(() => {
    if (!playingId) return;
    document.getElementById(`seg-${playingId}`)?.scrollIntoView({ block: "nearest" });
  }, [playingId]);

  return { recordings, error, request, playingId, canPlay, play, setPosition, stop, reload: refresh };
}
