// Sending a recording to the gateway's resumable upload API (docs/protocol.md, "Uploading a
// recording"): one PATCH per part; after a failure the gateway is asked how much it has and
// the upload goes on from there, so a dropped connection costs at most one part.

import { ApiError, apiHeaders, apiRequest } from "../api/client";
import type { Upload, UploadIn, UploadList } from "../api/types";

const MAX_FAILURES = 6;

const uploadsPath = (meetingId: string) => `/api/v1/meetings/${encodeURIComponent(meetingId)}/uploads`;

export async function listUploads(meetingId: string): Promise<Upload[]> {
  return (await apiRequest<UploadList>(uploadsPath(meetingId))).uploads;
}

export async function getUpload(meetingId: string, uploadId: string): Promise<Upload> {
  return apiRequest<Upload>(`${uploadsPath(meetingId)}/${encodeURIComponent(uploadId)}`);
}

/** How the recording is taken: `end` the meeting once transcribed; `room`: several people on one microphone. */
export interface UploadOptions {
  end: boolean;
  room: boolean;
}

export async function createUpload(meetingId: string, file: File, { end, room }: UploadOptions): Promise<Upload> {
  const body: UploadIn = { filename: file.name || "recording", size_bytes: file.size, end, room };
  return apiRequest<Upload>(uploadsPath(meetingId), { method: "POST", body });
}

/** Errors no retry can fix: a refused part, a lost access, a gone meeting. */
function final(error: unknown): boolean {
  if (error instanceof DOMException && error.name === "AbortError") return true;
  return error instanceof ApiError && ["invalid", "not_found", "unauthorized"].includes(error.kind);
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Send `file` from the upload's offset to its end; `onSent` hears each new offset. Resolves
 * once the gateway has every byte and has queued the recording for transcription.
 */
export async function sendParts(
  meetingId: string,
  upload: Upload,
  file: File,
  onSent: (offset: number) => void,
  options: { signal?: AbortSignal; sleep?: (ms: number) => Promise<unknown> } = {},
): Promise<void> {
  const path = `${uploadsPath(meetingId)}/${encodeURIComponent(upload.upload_id)}`;
  const sleep = options.sleep ?? wait;
  let offset = upload.offset;
  let status = upload.status;
  let failures = 0;
  while (offset < file.size || status === "receiving") {
    // At the end with the upload still `receiving`, an empty part asks to announce it again.
    const part = file.slice(offset, Math.min(file.size, offset + upload.part_max_bytes));
    try {
      const headers = await apiHeaders(path, {
        method: "PATCH",
        raw: part,
        headers: { "Upload-Offset": String(offset), "Content-Type": "application/offset+octet-stream" },
        signal: options.signal,
      });
      offset = Number(headers.get("Upload-Offset") ?? offset + part.size);
      failures = 0;
      onSent(offset);
      if (offset >= file.size) return;
    } catch (error) {
      if (final(error)) throw error;
      failures += 1;
      if (failures >= MAX_FAILURES) throw error;
      await sleep(Math.min(15_000, 500 * 2 ** (failures - 1)));
      try {
        const state = await getUpload(meetingId, upload.upload_id);
        offset = state.offset;
        status = state.status;
        onSent(offset);
      } catch (again) {
        if (final(again)) throw again;
        // The gateway cannot say now: try the same part again.
      }
    }
  }
}
