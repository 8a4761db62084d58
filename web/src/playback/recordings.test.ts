import { describe, expect, it } from "vitest";

import type { Segment } from "../api/types";
import {
  type Recordings,
  type StreamRecording,
  chunkAt,
  isRecorded,
  meetingEnd,
  mixWindowAt,
  segmentAt,
  segmentAtMeeting,
  uploadOf,
} from "./recordings";

const stream: StreamRecording = {
  stream_id: "mtg_1:usr_a:mic",
  participant_id: "usr_a",
  speaker: "Ana",
  offset: 0,
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
    uploads: [],
    mix_url: "/api/v1/meetings/mtg_1/recordings/mix",
  };

  it("is true for lines within a recorded stream only", () => {
    expect(isRecorded(recordings, segment("x", stream.stream_id, 70, 71))).toBe(true);
    expect(isRecorded(recordings, segment("y", stream.stream_id, 80, 81))).toBe(false);
    expect(isRecorded(recordings, segment("z", "mtg_1:usr_b:mic", 1, 2))).toBe(false);
    expect(isRecorded(null, segment("x", stream.stream_id, 1, 2))).toBe(false);
  });
});

const upload = {
  upload_id: "upl_1",
  filename: "call.m4a",
  size_bytes: 1000,
  stream_prefix: "upload:upl_1:",
  url: "/api/v1/meetings/mtg_1/uploads/upl_1/audio",
};

const meeting: Recordings = {
  meeting_id: "mtg_1",
  sample_rate: 16000,
  content_type: "audio/flac",
  retention_days: 0,
  meeting_retention_days: null,
  // Ana joined at 0 for 71.5 s; Bea 10 s later for 40 s: the meeting's audio ends at 71.5 s.
  streams: [stream, { ...stream, stream_id: "mtg_1:usr_b:mic", speaker: "Bea", offset: 10, duration: 40 }],
  uploads: [upload],
  mix_url: "/api/v1/meetings/mtg_1/recordings/mix",
};

describe("mixed playback", () => {
  it("fetches the 30 s window of the meeting clock that holds the moment, cut at the end", () => {
    expect(meetingEnd(meeting)).toBe(71.5);
    expect(mixWindowAt(meeting, 0)).toEqual({ from: 0, to: 30, url: `${meeting.mix_url}?from=0&to=30` });
    expect(mixWindowAt(meeting, 45.2)).toMatchObject({ from: 30, to: 60 });
    expect(mixWindowAt(meeting, 65)).toEqual({ from: 60, to: 71.5, url: `${meeting.mix_url}?from=60&to=71.5` });
    expect(mixWindowAt(meeting, 71.5)).toBeNull();
  });

  it("marks the line being heard across speakers on the meeting clock", () => {
    const offsets = new Map(meeting.streams.map((s) => [s.stream_id, s.offset]));
    const finals = [
      segment("a1", stream.stream_id, 1, 12),
      segment("b1", "mtg_1:usr_b:mic", 1, 4), // 11..14 on the meeting clock
      segment("a2", stream.stream_id, 20, 22),
      segment("x1", "mtg_1:usr_x:mic", 0, 100), // not archived: never marked
    ];
    expect(segmentAtMeeting(finals, offsets, 5)?.id).toBe("a1");
    // Both speak at 11.5: the line that started last is the one just heard.
    expect(segmentAtMeeting(finals, offsets, 11.5)?.id).toBe("b1");
    expect(segmentAtMeeting(finals, offsets, 13)?.id).toBe("b1");
    expect(segmentAtMeeting(finals, offsets, 15)?.id).toBe("b1"); // a short pause after it
    expect(segmentAtMeeting(finals, offsets, 18)).toBeNull();
    expect(segmentAtMeeting(finals, offsets, 21)?.id).toBe("a2");
    expect(segmentAtMeeting(finals, offsets, 0.5)).toBeNull();
  });
});

describe("uploads", () => {
  it("finds the file a channel's line came from, and its lines are playable", () => {
    expect(uploadOf(meeting, "upload:upl_1:ch1")).toBe(upload);
    expect(uploadOf(meeting, "upload:upl_10:ch0")).toBeNull();
    expect(uploadOf(meeting, stream.stream_id)).toBeNull();
    expect(uploadOf(null, "upload:upl_1:ch0")).toBeNull();
    expect(isRecorded(meeting, segment("u", "upload:upl_1:ch0", 300, 301))).toBe(true);
  });
});
