import { describe, expect, it } from "vitest";

import { type UploadView, applyRecordingEvent, mergeView, withUpload } from "./state";

const base: UploadView = {
  uploadId: "upl_1",
  filename: "call.m4a",
  size: 1000,
  sent: 1000,
  status: "queued",
  progress: 0,
  error: null,
  createdAt: "2026-12-01T05:00:00Z",
};

describe("uploads", () => {
  it("moves progress only forward, whatever order the reports come in", () => {
    let list = [base];
    list = applyRecordingEvent(list, { type: "recording.progress", upload_id: "upl_1", progress: 0.6 }).list;
    list = applyRecordingEvent(list, { type: "recording.progress", upload_id: "upl_1", progress: 0.3 }).list;
    expect(list[0]).toMatchObject({ status: "transcribing", progress: 0.6 });
    // A slower answer of an earlier list request does not undo it either.
    list = withUpload(list, { ...base, status: "queued", progress: 0 });
    expect(list[0]).toMatchObject({ status: "transcribing", progress: 0.6 });
  });

  it("keeps transcribed final and shows a failure with its reason", () => {
    const done = applyRecordingEvent([base], { type: "recording.transcribed", upload_id: "upl_1" }).list;
    expect(done[0]).toMatchObject({ status: "transcribed", progress: 1 });
    const late = applyRecordingEvent(done, { type: "recording.failed", upload_id: "upl_1", error: "late" }).list;
    expect(late[0]).toMatchObject({ status: "transcribed", error: null });
    const failed = applyRecordingEvent([base], { type: "recording.failed", upload_id: "upl_1", error: "no audio" }).list;
    expect(failed[0]).toMatchObject({ status: "failed", error: "no audio" });
  });

  it("says when a report is of an upload it does not know, and ignores other events", () => {
    expect(applyRecordingEvent([base], { type: "recording.progress", upload_id: "upl_2", progress: 0.1 }).known).toBe(false);
    const other = applyRecordingEvent([base], { type: "transcript.final" });
    expect(other).toEqual({ list: [base], known: true });
  });

  it("counts bytes sent up, newest upload first", () => {
    const older = { ...base, uploadId: "upl_0", createdAt: "2026-11-30T05:00:00Z" };
    const sending = { ...base, sent: 400, status: "receiving" as const };
    const list = withUpload(withUpload([older], sending), { ...sending, sent: 200 });
    expect(list.map((item) => item.uploadId)).toEqual(["upl_1", "upl_0"]);
    expect(list[0]?.sent).toBe(400);
    expect(mergeView(undefined, base)).toEqual(base);
  });
});
