import { describe, expect, it } from "vitest";

import type { Segment } from "../api/types";
import {
  applyCorrection,
  applyReplacement,
  applySegment,
  applySpeaker,
  emptyTranscript,
  highlight,
  labelKey,
  loadFinals,
  meetingTime,
  originalStream,
  segmentOf,
  splitPartial,
  speakerColour,
  speakerKey,
  voicelessRoomPartial,
} from "./transcript";

function seg(id: string, stream: string, text: string, final: boolean, extra: Partial<Segment> = {}): Segment {
  return { id, stream_id: stream, text, final, start: 0, end: 1, ...extra };
}

describe("transcript state", () => {
  it("replaces a stream's partial by its final and keeps other streams' partials", () => {
    let state = applySegment(emptyTranscript, seg("a1", "A", "hello wor", false));
    state = applySegment(state, seg("b1", "B", "good", false));
    state = applySegment(state, seg("a1", "A", "hello world", true));
    expect(state.finals.map((f) => f.text)).toEqual(["hello world"]);
    expect(Object.keys(state.partials)).toEqual(["B"]);
  });

  it("lets an empty final withdraw the partials of an utterance that was not speech", () => {
    let state = applySegment(emptyTranscript, seg("a1", "A", "thank you for", false));
    state = applySegment(state, seg("a1", "A", "", true));
    expect(state.finals).toHaveLength(0);
    expect(state.partials).toEqual({});
  });

  it("shows a replayed final once", () => {
    let state = applySegment(emptyTranscript, seg("a1", "A", "one", true));
    state = applySegment(state, seg("a1", "A", "one", true));
    expect(state.finals).toHaveLength(1);
  });

  it("ignores a partial that arrives after its final and an older revision", () => {
    let state = applySegment(emptyTranscript, seg("a1", "A", "done", true));
    state = applySegment(state, seg("a1", "A", "do", false));
    expect(state.partials).toEqual({});
    state = applySegment(state, seg("a2", "A", "two words", false, { revision: 3 }));
    state = applySegment(state, seg("a2", "A", "two", false, { revision: 2 }));
    expect(state.partials.A!.text).toBe("two words");
  });
});

describe("ordering", () => {
  it("puts a late final where it was said in the meeting", () => {
    let state = applySegment(emptyTranscript, seg("b1", "B", "short reply", true, { meeting_start: 5 }));
    state = applySegment(state, seg("a1", "A", "long monologue", true, { meeting_start: 2 }));
    state = applySegment(state, seg("a2", "A", "later", true, { meeting_start: 9 }));
    expect(state.finals.map((f) => f.id)).toEqual(["a1", "b1", "a2"]);
  });
});

describe("partials", () => {
  it("split into stable and provisional words", () => {
    expect(splitPartial(seg("x", "A", "ask not what your", false, { stable_text: "ask not" }))).toEqual({
      stable: "ask not",
      provisional: "what your",
    });
    expect(splitPartial(seg("x", "A", "ask not", false))).toEqual({ stable: "", provisional: "ask not" });
  });

  it("are read from nested and flat events", () => {
    expect(segmentOf({ type: "transcript.partial", seq: 1, segment: seg("x", "A", "hi", true) })!.final).toBe(false);
    expect(segmentOf({ type: "transcript.final", seq: 2, ...seg("y", "A", "hi", false) })!.final).toBe(true);
    expect(segmentOf({ type: "summary.updated", seq: 3 })).toBeNull();
  });
});

describe("search and colours", () => {
  it("highlights every case-insensitive match", () => {
    expect(highlight("Ask not, ask", "ASK")).toEqual([
      { text: "Ask", match: true },
      { text: " not, ", match: false },
      { text: "ask", match: true },
    ]);
  });

  it("gives a speaker the same colour every time", () => {
    expect(speakerColour("usr_1")).toBe(speakerColour("usr_1"));
  });

  it("never gives two of the first eight members the same colour", () => {
    const members = Array.from({ length: 8 }, (_, i) => `usr_${i}`);
    expect(new Set(members.map((m) => speakerColour(m, members))).size).toBe(8);
  });
});

describe("loading stored finals", () => {
  it("puts stored finals first and keeps live ones that the store did not have yet", async () => {
    const { loadFinals } = await import("./transcript");
    let state = applySegment(emptyTranscript, seg("live2", "A", "later", true));
    state = applySegment(state, seg("old1", "B", "earlier", true));
    state = loadFinals(state, [seg("old0", "A", "first", true), seg("old1", "B", "earlier", true)]);
    expect(state.finals.map((f) => f.id)).toEqual(["old0", "old1", "live2"]);
  });
});

describe("corrections", () => {
  it("shows the newest correction, keeps the original, and ignores an older one", () => {
    let state = applySegment(emptyTranscript, seg("a1", "A", "Jon sends it", true));
    state = applyCorrection(state, seg("a1", "A", "John sends it", true, { correction_version: 2, original_text: "Jon sends it" }));
    state = applyCorrection(state, seg("a1", "A", "Jonn sends it", true, { correction_version: 1 }));
    expect(state.finals[0]).toMatchObject({ text: "John sends it", edited: true, original_text: "Jon sends it" });
  });

  it("never lets a replay of the transcribed final undo a correction", () => {
    let state = applySegment(emptyTranscript, seg("a1", "A", "Jon sends it", true));
    state = applyCorrection(state, seg("a1", "A", "John sends it", true, { correction_version: 1 }));
    state = applySegment(state, seg("a1", "A", "Jon sends it", true));
    expect(state.finals[0]!.text).toBe("John sends it");
  });

  it("shows live finals of a stream under the label the stored transcript gave it", () => {
    let state = loadFinals(emptyTranscript, [seg("a1", "A", "one", true, { speaker: "Ana (chair)" })]);
    state = applySegment(state, seg("a2", "A", "two", true, { speaker: "Ana", start: 2, end: 3 }));
    expect(state.finals.map((f) => f.speaker)).toEqual(["Ana (chair)", "Ana (chair)"]);
  });

  it("renames a stream's speaker on its lines and on lines still to come", () => {
    let state = applySegment(emptyTranscript, seg("a1", "A", "one", true, { speaker: "Ana" }));
    state = applySegment(state, seg("b1", "B", "two", true, { speaker: "Ben" }));
    state = applySpeaker(state, "A", "Ana Kim");
    state = applySegment(state, seg("a2", "A", "three", true, { speaker: "Ana", start: 2, end: 3 }));
    expect(state.finals.map((f) => f.speaker)).toEqual(["Ana Kim", "Ben", "Ana Kim"]);
  });
  it("renames one voice of a room microphone, not the other voices or the stream", () => {
    const room = (id: string, voice: number, start: number) =>
      seg(id, "R", id, true, { speaker: `Room ${voice}`, speaker_id: `R#room-${voice}`, start, end: start + 1 });
    let state = loadFinals(emptyTranscript, [room("r1", 1, 0), room("r2", 2, 1)]);
    state = applySegment(state, seg("o1", "R", "own", true, { speaker: "Ria", start: 2, end: 3 }));
    state = applySpeaker(state, "R#room-1", "Chris");
    state = applySegment(state, room("r3", 1, 4));
    state = applySegment(state, room("r4", 2, 5));
    expect(state.finals.map((f) => f.speaker)).toEqual(["Chris", "Room 2", "Ria", "Chris", "Room 2"]);
    // A rename of the stream names only the lines without a voice.
    state = applySpeaker(state, "R", "Meeting room");
    expect(state.finals.map((f) => f.speaker)).toEqual(["Chris", "Room 2", "Meeting room", "Chris", "Room 2"]);
    expect(labelKey(state.finals[1]!)).toBe("R#room-2");
    expect(labelKey(state.finals[2]!)).toBe("R");
  });

  it("gives the voices of one room microphone their own colours' keys", () => {
    const a = seg("r1", "R", "x", true, { participant_id: "u1", speaker_id: "R#room-1" });
    const b = seg("r2", "R", "y", true, { participant_id: "u1", speaker_id: "R#room-2" });
    expect(speakerKey(a)).not.toBe(speakerKey(b));
    expect(speakerKey(seg("o1", "O", "z", true, { participant_id: "u1" }))).toBe("u1");
  });
});

describe("a re-transcription replacing the transcript", () => {
  const line = (id: string, stream_id: string): Segment =>
    ({ id, stream_id, text: id, start: 0, end: 1, final: true }) as Segment;

  it("drops the live lines and an earlier job's of the replaced streams, keeps the job's and others'", () => {
    const state = {
      finals: [
        line("live", "m1:u1:mic"),
        line("earlier", "retx:rtx_a:m1:u1:mic"),
        line("ours", "retx:rtx_b:m1:u1:mic"),
        line("other", "m1:u2:mic"),
        line("upload", "upload:upl_1:ch0"),
      ],
      partials: { "m1:u1:mic": line("partial", "m1:u1:mic") },
    };
    const next = applyReplacement(state, "rtx_b", ["m1:u1:mic"]);
    expect(next.finals.map((f) => f.id)).toEqual(["ours", "other", "upload"]);
    expect(next.partials).toEqual({});
    expect(originalStream("retx:rtx_b:m1:u1:mic")).toEqual({ job: "rtx_b", stream: "m1:u1:mic" });
    expect(originalStream("m1:u1:mic")).toEqual({ job: null, stream: "m1:u1:mic" });
    expect(applyReplacement(next, "rtx_b", ["m1:u1:mic"])).toEqual(next); // a replay: nothing more
  });
});

describe("meeting clock", () => {
  it("orders and times live lines as the reloaded transcript does", () => {
    // Bob joined 20 s after Alice: the gateway sends each line's meeting times.
    let state = applySegment(emptyTranscript, seg("a1", "A", "one", true, { start: 28, end: 30, meeting_start: 28, meeting_end: 30 }));
    state = applySegment(state, seg("a2", "A", "two", true, { start: 34, end: 36, meeting_start: 34, meeting_end: 36 }));
    state = applySegment(state, seg("b1", "B", "hi", true, { start: 11, end: 12, meeting_start: 31, meeting_end: 32 }));
    expect(state.finals.map((f) => [f.id, meetingTime(f)])).toEqual([["a1", 28], ["b1", 31], ["a2", 34]]);
    const reloaded = loadFinals(emptyTranscript, state.finals);
    expect(reloaded.finals.map((f) => [f.id, meetingTime(f)])).toEqual(state.finals.map((f) => [f.id, meetingTime(f)]));
  });

  it("puts a line sent without meeting times on its stream's known offset", () => {
    let state = loadFinals(emptyTranscript, [seg("b1", "B", "hi", true, { start: 11, end: 12, meeting_start: 31, meeting_end: 32 })]);
    state = applySegment(state, seg("b2", "B", "again", true, { start: 15, end: 16.5 }));
    expect([state.finals[1]!.meeting_start, state.finals[1]!.meeting_end]).toEqual([35, 36.5]);
    // No line of the stream yet: its own clock.
    expect(meetingTime(seg("c1", "C", "x", true, { start: 3 }))).toBe(3);
  });
});

describe("room microphone partials", () => {
  it("do not name the participant once the stream is known to be a room microphone", () => {
    const partial = seg("r2", "R", "so the", false, { speaker: "Alice Kim" });
    expect(voicelessRoomPartial(emptyTranscript, partial)).toBe(false);
    const state = applySegment(emptyTranscript, seg("r1", "R", "hello", true, { speaker: "Room 1", speaker_id: "R#room-1" }));
    expect(voicelessRoomPartial(state, partial)).toBe(true);
    expect(voicelessRoomPartial(state, { ...partial, speaker: "Room 2", speaker_id: "R#room-2" })).toBe(false);
    expect(voicelessRoomPartial(state, { ...partial, stream_id: "A" })).toBe(false);
    // This browser's own room microphone: from its first partial on.
    expect(voicelessRoomPartial(emptyTranscript, partial, ["R"])).toBe(true);
  });
});
