import { describe, expect, it } from "vitest";

import { isActive, type Retranscription } from "./retranscriptions";

function job(status: Retranscription["status"]): Retranscription {
  return {
    job_id: "rtx_1",
    meeting_id: "mtg_1",
    model: "base",
    language: "en",
    status,
    progress: 0.5,
    streams: ["mtg_1:usr_1:mic"],
    requested_by: "usr_1",
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  };
}

describe("a re-transcription job", () => {
  it("is followed until the transcript is replaced or the job failed", () => {
    expect(isActive(job("queued"))).toBe(true);
    expect(isActive(job("transcribing"))).toBe(true);
    expect(isActive(job("transcribed"))).toBe(true); // the replacement is still on its way
    expect(isActive(job("replaced"))).toBe(false);
    expect(isActive(job("failed"))).toBe(false);
    expect(isActive(null)).toBe(false);
  });
});
