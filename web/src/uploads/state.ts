// What the meeting page knows of its uploaded recordings: the server's rows, the bytes this
// tab is sending, and the transcription reports of the live events, merged so that nothing
// goes back (a late or replayed report, a slower answer of an earlier request).

import type { LiveEvent, Upload, UploadStatus } from "../api/types";

export interface UploadView {
  uploadId: string;
  filename: string;
  size: number;
  /** Bytes the gateway has. */
  sent: number;
  status: UploadStatus;
  /** Share transcribed, 0-1. */
  progress: number;
  error: string | null;
  createdAt: string;
}

const RANK: Record<UploadStatus, number> = {
  receiving: 0,
  queued: 1,
  transcribing: 2,
  failed: 3,
  transcribed: 4,
};

export function fromServer(upload: Upload): UploadView {
  return {
    uploadId: upload.upload_id,
    filename: upload.filename,
    size: upload.size_bytes,
    sent: upload.offset,
    status: upload.status,
    progress: upload.progress,
    error: upload.error ?? null,
    createdAt: upload.created_at,
  };
}

/** `next` over `current`: status and progress only move forward; `transcribed` is final. */
export function mergeView(current: UploadView | undefined, next: UploadView): UploadView {
  if (!current) return next;
  const forward = RANK[next.status] >= RANK[current.status];
  const status = forward ? next.status : current.status;
  return {
    ...current,
    filename: next.filename || current.filename,
    size: next.size || current.size,
    sent: Math.max(current.sent, next.sent),
    status,
    progress: status === "transcribed" ? 1 : Math.max(current.progress, next.progress),
    error: status === "failed" ? (forward ? next.error : current.error) : null,
    createdAt: current.createdAt || next.createdAt,
  };
}

/** The list with `view` merged in, newest first. */
export function withUpload(list: UploadView[], view: UploadView): UploadView[] {
  const current = list.find((item) => item.uploadId === view.uploadId);
  const merged = mergeView(current, view);
  const rest = list.filter((item) => item.uploadId !== view.uploadId);
  return [merged, ...rest].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export const RECORDING_EVENTS = ["recording.progress", "recording.transcribed", "recording.failed"];

/**
 * A `recording.*` live event applied to the list; `known` is false for an upload the list
 * does not have yet (someone else's, begun after the page loaded): reload the list then.
 */
export function applyRecordingEvent(list: UploadView[], event: LiveEvent): { list: UploadView[]; known: boolean } {
  const uploadId = typeof event.upload_id === "string" ? event.upload_id : null;
  if (!uploadId || !RECORDING_EVENTS.includes(event.type)) return { list, known: true };
  const current = list.find((item) => item.uploadId === uploadId);
  if (!current) return { list, known: false };
  const status: UploadStatus =
    event.type === "recording.transcribed" ? "transcribed" : event.type === "recording.failed" ? "failed" : "transcribing";
  const progress = typeof event.progress === "number" ? event.progress : 0;
  const error = typeof event.error === "string" ? event.error : null;
  return { list: withUpload(list, { ...current, status, progress, error }), known: true };
}
