// Search across meetings and transcript import: the gateway's /api/v1/search and
// POST /api/v1/meetings/{id}/transcript (docs/protocol.md).

import { ApiError, apiRequest, unreachable } from "./client";
import type { components } from "./gateway-schema";
import { getToken } from "./session";

type Schemas = components["schemas"];

/** One match; `snippet` is plain text (render it as text, never as HTML) and `highlights`
 * the [start, end) of each match in it, in Unicode code points. */
export type SearchHit = Schemas["SearchHit"];

export type HitKind = SearchHit["kind"];

export type SearchPage = Schemas["SearchOut"];

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

export type TranscriptImport = Schemas["TranscriptImportOut"];

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
