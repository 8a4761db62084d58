import { describe, expect, it } from "vitest";

import type { Segment } from "../api/types";
import { type Recordings, type StreamRecording, chunkAt, isRecorded, segmentAt } from "./recordings";

const stream: StreamRecording = {
  stream_id: "mtg_1:usr_a:mic",
  participant_id: "usr_a",
  speaker: "Ana",
  duration: 71.5,
  chunks: [0, 30, 60].map((start) => ({
    start_sample: start * 16000,
    start,
    duration: start === 60 ? 11.5 : 30,
    url: `/api/v1/meetings/mtg_1/recordings/mtg_1:usr_a:mic/chunks/${start * 16000}`,
  })),
};

function segment(id: string, streamId: string, start: number, end: number): Segment {
  return { id, stream_id: streamId, start, end, text: id, final: true };
}

describe("chunkAt", () => {
  it("finds the chunk and the offset within it", () => {
    expect(chunkAt(stream, 0)).toMatchObject({ index: 0, offset: 0 });
    expect(chunkAt(stream, 29.99)?.index).toBe(0);
    expect(chunkAt(stream, 30)).toMatchObject({ index: 1, offset: 0 });
    expect(chunkAt(stream, 65.25)).toMatchObject({ index: 2, offset: 5.25 });
  });

  it("stops at the end of the last chunk and has nothing for an empty stream", () => {
    expect(chunkAt(stream, 500)).toMatchObject({ index: 2, offset: 11.5 });
    expect(chunkAt({ ...stream, chunks: [] }, 3)).toBeNull();
  });
});

describe("segmentAt", () => {
  const finals = [
    segment("a1", stream.stream_id, 1, 4),
    segment("b1", "mtg_1:usr_b:mic", 2, 6),
    segment("a2", stream.stream_id, 5, 9),
  ];

  it("is the line of the playing stream whose span holds the moment", () => {
    expect(segmentAt(finals, stream.stream_id, 2.5)?.id).toBe("a1");
    expect(segmentAt(finals, stream.stream_id, 5.5)?.id).toBe("a2");
    expect(segmentAt(finals, "mtg_1:usr_b:mic", 5.5)?.id).toBe("b1");
  });

  it("keeps the last line through a short pause, and none before the first or long after", () => {
    expect(segmentAt(finals, stream.stream_id, 4.5)?.id).toBe("a1");
    expect(segmentAt(finals, stream.stream_id, 0.5)).toBeNull();
    expect(segmentAt(finals, stream.stream_id, 20)).toBeNull();
  });
});

describe("isRecorded", () => {
  const recordings: Recordings = {
    meeting_id: "mtg_1",
    sample_rate: 16000,
    content_type: "audio/flac",
    retention_days: 0,
    meeting_retention_days: null,
    streams: [stream],
  };

  it("is true for lines within a recorded stream only", () => {
    expect(isRecorded(recordings, segment("x", stream.stream_id, 70, 71))).toBe(true);
    expect(isRecorded(recordings, segment("y", stream.stream_id, 80, 81))).toBe(false);
    expect(isRecorded(recordings, segment("z", "mtg_1:usr_b:mic", 1, 2))).toBe(false);
    expect(isRecorded(null, segment("x", stream.stream_id, 1, 2))).toBe(false);
  });
});
