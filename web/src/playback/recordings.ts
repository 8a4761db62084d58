// A meeting's archived audio as the gateway lists it, and the pure lookups playback needs:
// which chunk holds a moment of a stream, which mixed window holds a moment of the meeting,
// which upload a line came from, and which transcript line is playing.

import { apiRequest } from "../api/client";
import type { components } from "../api/gateway-schema";
import type { Segment } from "../api/types";

type Schemas = components["schemas"];

/** One FLAC chunk: `start` in seconds of stream time (the transcript's `start`/`end`); `url`
 * is a gateway path fetched with the bearer token, never a public URL. */
export type RecordingChunk = Schemas["ChunkOut"];

export type StreamRecording = Schemas["StreamRecordingOut"];

export type Recordings = Schemas["RecordingsOut"];

/** An uploaded file, played as it was sent; its streams' times are seconds into the file. */
export type UploadRecording = Schemas["UploadAudioOut"];

/** Seconds of the meeting clock per mixed window the player fetches (the gateway allows 120). */
export const MIX_WINDOW_S = 30;

export function listRecordings(meetingId: string): Promise<Recordings> {
  return apiRequest<Recordings>(`/api/v1/meetings/${encodeURIComponent(meetingId)}/recordings`);
}

export interface ChunkPosition {
  index: number;
  chunk: RecordingChunk;
  /** Seconds into the chunk. */
  offset: number;
}

/** The chunk of a stream that holds second `at` of stream time (the last one past its end). */
export function chunkAt(stream: StreamRecording, at: number): ChunkPosition | null {
  let index = -1;
  stream.chunks.forEach((chunk, i) => {
    if (chunk.start <= at || index < 0) index = i;
  });
  const chunk = stream.chunks[index];
  if (!chunk) return null;
  return { index, chunk, offset: Math.min(Math.max(0, at - chunk.start), chunk.duration) };
}

/** Whether a segment's moment is in the archived audio of its stream, or in an upload. */
export function isRecorded(recordings: Recordings | null, segment: Segment): boolean {
  if (uploadOf(recordings, segment.stream_id)) return true;
  const stream = recordings?.streams.find((s) => s.stream_id === segment.stream_id);
  return !!stream && stream.chunks.length > 0 && segment.start < stream.duration;
}

/** The uploaded file a stream (one channel of it) was transcribed from, if any. */
export function uploadOf(recordings: Recordings | null, streamId: string): UploadRecording | null {
  return recordings?.uploads.find((upload) => streamId.startsWith(upload.stream_prefix)) ?? null;
}

/** The archived streams that have audio: what "everyone" mixes. */
export function archivedStreams(recordings: Recordings | null): StreamRecording[] {
  return recordings?.streams.filter((stream) => stream.chunks.length > 0) ?? [];
}

/** Seconds of the meeting clock where the last archived stream ends. */
export function meetingEnd(recordings: Recordings | null): number {
  return Math.max(0, ...archivedStreams(recordings).map((s) => s.offset + s.duration));
}

export interface MixWindow {
  /** Meeting-clock seconds the window covers. */
  from: number;
  to: number;
  /** The gateway path of its audio (WAV), fetched with the bearer token. */
  url: string;
}

/** The mixed window that holds second `at` of the meeting clock (none past the end). */
export function mixWindowAt(recordings: Recordings, at: number): MixWindow | null {
  const end = meetingEnd(recordings);
  if (at >= end) return null;
  const from = Math.floor(Math.max(0, at) / MIX_WINDOW_S) * MIX_WINDOW_S;
  const to = Math.min(from + MIX_WINDOW_S, end);
  // Milliseconds are enough on both ends, and keep the URL short and stable.
  const url = `${recordings.mix_url}?from=${from}&to=${Math.ceil(to * 1000) / 1000}`;
  return { from, to, url };
}

/** Where a stream's time 0 is on the meeting clock (0 for a stream not archived). */
export function streamOffset(recordings: Recordings | null, streamId: string): number {
  return recordings?.streams.find((s) => s.stream_id === streamId)?.offset ?? 0;
}

/** The final line of a stream that is playing at second `at` of that stream: the one
 * whose span holds it, else the last one started before it (in a pause after a line). */
export function segmentAt(finals: Segment[], streamId: string, at: number): Segment | null {
  let best: Segment | null = null;
  for (const segment of finals) {
    if (segment.stream_id !== streamId || segment.start > at) continue;
    if (at < segment.end) return segment;
    if (!best || segment.start > best.start) best = segment;
  }
  return best && at - best.end < 2 ? best : null;
}

/** The final line being heard at second `at` of the meeting clock, whoever says it: of
 * the lines whose span holds it, the one that started last; else, as `segmentAt`, the
 * last one started shortly before. `offsets` places each stream on the meeting clock. */
export function segmentAtMeeting(finals: Segment[], offsets: Map<string, number>, at: number): Segment | null {
  let holding: Segment | null = null;
  let holdingStart = -Infinity;
  let best: Segment | null = null;
  let bestStart = -Infinity;
  let bestEnd = -Infinity;
  for (const segment of finals) {
    const offset = offsets.get(segment.stream_id);
    if (offset === undefined) continue;
    const start = offset + segment.start;
    const end = offset + segment.end;
    if (start > at) continue;
    if (at < end && start > holdingStart) {
      holding = segment;
      holdingStart = start;
    }
    if (start > bestStart) {
      best = segment;
      bestStart = start;
      bestEnd = end;
    }
  }
  if (holding) return holding;
  return best && at - bestEnd < 2 ? best : null;
}
