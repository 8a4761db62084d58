// A meeting's archived audio as the gateway lists it, and the pure lookups playback needs:
// which chunk holds a moment of a stream, and which transcript line is playing.

import { apiBlob, apiRequest } from "../api/client";
import type { components } from "../api/gateway-schema";
import type { Segment } from "../api/types";

type Schemas = components["schemas"];

/** One FLAC chunk: `start` in seconds of stream time (the transcript's `start`/`end`); `url`
 * is a gateway path fetched with the bearer token, never a public URL. */
export type RecordingChunk = Schemas["ChunkOut"];

export type StreamRecording = Schemas["StreamRecordingOut"];

export type Recordings = Schemas["RecordingsOut"];

export function listRecordings(meetingId: string): Promise<Recordings> {
  return apiRequest<Recordings>(`/api/v1/meetings/${encodeURIComponent(meetingId)}/recordings`);
}

/** One chunk's audio as a Blob (the player makes an object URL of it). */
export function chunkAudio(chunk: RecordingChunk, signal?: AbortSignal): Promise<Blob> {
  return apiBlob(chunk.url, signal);
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

/** Whether a segment's moment is in the archived audio of its stream. */
export function isRecorded(recordings: Recordings | null, segment: Segment): boolean {
  const stream = recordings?.streams.find((s) => s.stream_id === segment.stream_id);
  return !!stream && stream.chunks.length > 0 && segment.start < stream.duration;
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
