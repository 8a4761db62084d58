// Search across meetings and transcript import: the gateway's /api/v1/search and
// POST /api/v1/meetings/{id}/transcript (docs/protocol.md).

import { ApiError, apiRequest, unreachable } from "./client";
import { getToken } from "./session";

export type HitKind = "meeting" | "segment" | "summary" | "card";

export interface SearchHit {
  kind: HitKind;
  meeting_id: string;
  meeting_title: string;
  meeting_created_at: string;
  score: number;
  /** Plain text: render as text, never as HTML. */
  snippet: string;
  /** [start, end) of each match in `snippet`, in Unicode code points. */
  highlights: [number, number][];
  field: string | null;
  segment_id: string | null;
  stream_id: string | null;
  speaker: string | null;
  start: number | null;
  end: number | null;
  meeting_start: number | null;
  card_id: string | null;
  board_id: string | null;
}

export interface SearchPage {
  query: string;
  hits: SearchHit[];
  offset: number;
  limit: number;
  next_offset: number | null;
}

export async function searchMeetings(q: string, offset = 0, limit = 20, signal?: AbortSignal): Promise<SearchPage> {
  const params = new URLSearchParams({ q, offset: String(offset), limit: String(limit) });
  return apiRequest<SearchPage>(`/api/v1/search?${params}`, { signal });
}

/** Where a hit leads: the transcript at the segment, the summary, the board, the meeting. */
export function hitLink(hit: SearchHit): string {
  const meeting = `/meetings/${encodeURIComponent(hit.meeting_id)}`;
  if (hit.kind === "segment" && hit.segment_id) return `${meeting}?at=${encodeURIComponent(hit.segment_id)}`;
  if (hit.kind === "summary") return `${meeting}/summary`;
  if (hit.kind === "card" && hit.board_id) return `/boards/${encodeURIComponent(hit.board_id)}`;
  return meeting;
}

export interface TranscriptImport {
  meeting_id: string;
  format: "vtt" | "srt" | "json";
  segments: number;
  speakers: string[];
  unattributed: number;
  ended: boolean;
}

const FILE_TYPES: Record<string, string> = {
  vtt: "text/vtt",
  srt: "application/x-subrip",
  json: "application/json",
};

/** Send a VTT, SRT or JSON transcript file as it is (the owner only). */
export async function importTranscript(meetingId: string, file: File): Promise<TranscriptImport> {
  const extension = file.name.split(".").pop()?.toLowerCase() ?? "";
  const headers: Record<string, string> = { Accept: "application/json" };
  const type = FILE_TYPES[extension];
  if (type) headers["Content-Type"] = type;
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(`/api/v1/meetings/${encodeURIComponent(meetingId)}/transcript`, {
      method: "POST",
      headers,
      body: file,
    });
  } catch {
    throw new ApiError("network", unreachable());
  }
  if (response.ok) return (await response.json()) as TranscriptImport;
  let message = `HTTP ${response.status}`;
  try {
    const detail = (await response.json()).detail;
    if (typeof detail === "string") message = detail;
  } catch {
    // not JSON: keep the status
  }
  if (response.status === 401) throw new ApiError("unauthorized", message, 401);
  if (response.status === 404) throw new ApiError("not_found", message, 404);
  throw new ApiError(response.status < 500 ? "invalid" : "server", message, response.status);
}
