// The meeting list's query string: filters as the gateway takes them, days in local time.

import type { MeetingFilter } from "../api/types";

export const PAGE_SIZE = 20;

/** The instant a calendar day (YYYY-MM-DD) starts in the browser's time zone, as ISO 8601. */
export function localDayStart(day: string, addDays = 0): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return null;
  const start = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + addDays);
  return Number.isNaN(start.getTime()) ? null : start.toISOString();
}

/** `?q=…&board_id=…&status=…&after=…&before=…&limit=…&cursor=…`, leaving out empty fields.
 * `to` is inclusive for the person (the whole day), so `before` is the next day's start. */
export function meetingQuery(filter: MeetingFilter, cursor: string | null = null, limit = PAGE_SIZE): string {
  const params = new URLSearchParams();
  const q = (filter.q ?? "").trim();
  if (q) params.set("q", q);
  if (filter.board_id) params.set("board_id", filter.board_id);
  if (filter.status) params.set("status", filter.status);
  const after = filter.from ? localDayStart(filter.from) : null;
  if (after) params.set("after", after);
  const before = filter.to ? localDayStart(filter.to, 1) : null;
  if (before) params.set("before", before);
  params.set("limit", String(limit));
  if (cursor) params.set("cursor", cursor);
  return params.toString();
}

/** Whether any filter narrows the list (the empty-list message says so). */
export function isFiltered(filter: MeetingFilter): boolean {
  return !!((filter.q ?? "").trim() || filter.board_id || filter.status || filter.from || filter.to);
}
