// The REST calls the app makes, one function each, with light normalisation of the answers.

import { meetingQuery } from "../meetings/query";
import { apiPage, apiRequest, apiText } from "./client";
import type {
  ActionItem,
  Board,
  BoardAccess,
  BoardAnalytics,
  BoardMember,
  BoardOut,
  BoardSummary,
  Card,
  ClientConfig,
  Column,
  HistoryEntry,
  Language,
  Meeting,
  MeetingAnalytics,
  MeetingFilter,
  MeetingPage,
  MyTasks,
  Segment,
  SegmentHistory,
  Summary,
  TranscriptOut,
  User,
  Webhook,
  WebhookDelivery,
  WebhookEvent,
} from "./types";

type Json = Record<string, unknown>;

function list<T>(data: unknown, ...keys: string[]): T[] {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === "object") {
    for (const key of [...keys, "items", "results"]) {
      const value = (data as Json)[key];
      if (Array.isArray(value)) return value as T[];
    }
  }
  return [];
}

export async function register(email: string, password: string, displayName: string): Promise<void> {
  await apiRequest("/api/v1/auth/register", {
    method: "POST",
    body: { email, password, display_name: displayName, name: displayName },
    anonymous: true,
  });
}

export async function signIn(email: string, password: string): Promise<string> {
  const data = await apiRequest<Json>("/api/v1/auth/token", {
    method: "POST",
    form: { username: email, password, grant_type: "password" },
    anonymous: true,
  });
  return String(data.access_token);
}

export async function me(): Promise<User> {
  return apiRequest<User>("/api/v1/me");
}

export async function clientConfig(): Promise<ClientConfig> {
  return apiRequest<ClientConfig>("/api/v1/config");
}

export async function listMeetings(): Promise<Meeting[]> {
  const data = await apiRequest<unknown>("/api/v1/meetings");
  return list<Meeting>(data, "meetings");
}

/** One page of the caller's meetings, newest first, narrowed by `filter`. */
export async function findMeetings(filter: MeetingFilter, cursor: string | null = null): Promise<MeetingPage> {
  const { data, headers } = await apiPage<unknown>(`/api/v1/meetings?${meetingQuery(filter, cursor)}`);
  return { meetings: list<Meeting>(data, "meetings"), next: headers.get("X-Next-Cursor") };
}

const meetingPath = (id: string) => `/api/v1/meetings/${encodeURIComponent(id)}`;

export async function renameMeeting(id: string, title: string): Promise<Meeting> {
  return apiRequest<Meeting>(meetingPath(id), { method: "PATCH", body: { title } });
}

/** Replace the meeting's vocabulary (any member); streams opened after it use it. */
export async function setMeetingVocabulary(id: string, vocabulary: string[]): Promise<Meeting> {
  return apiRequest<Meeting>(meetingPath(id), { method: "PATCH", body: { vocabulary } });
}

/** Which commitments become a meeting's cards; null is the server's VORI_SUMMARIZER__TASKS. */
export type TaskSelection = NonNullable<Meeting["tasks"]>;

/** Choose which commitments become the meeting's cards (owner only), or null to go back to the
 * server's setting; the next summary uses it. */
export async function setMeetingTasks(id: string, tasks: TaskSelection | null): Promise<Meeting> {
  return apiRequest<Meeting>(meetingPath(id), { method: "PATCH", body: { tasks } });
}

/** Delete a meeting with its transcript and summary (owner only); its cards stay on the board. */
export async function deleteMeeting(id: string): Promise<void> {
  await apiRequest(meetingPath(id), { method: "DELETE" });
}

/** The owner removes a member; a member passes their own id to leave. */
export async function removeMeetingMember(id: string, userId: string): Promise<void> {
  await apiRequest(`${meetingPath(id)}/members/${encodeURIComponent(userId)}`, { method: "DELETE" });
}

/** Which model decodes a meeting's English; null is the server's VORI_TRANSCRIBER__ACCURACY. */
export type Accuracy = NonNullable<Meeting["accuracy"]>;

/** What a new meeting may choose besides its title and language (left out: the server's). */
export interface MeetingChoices {
  boardId?: string;
  tasks?: TaskSelection;
  accuracy?: Accuracy;
}

export async function createMeeting(title: string, language: Language, choices: MeetingChoices = {}): Promise<Meeting> {
  const body: Json = { title, language };
  if (choices.boardId) body.board_id = choices.boardId;
  if (choices.tasks) body.tasks = choices.tasks;
  if (choices.accuracy) body.accuracy = choices.accuracy;
  // The browser's time zone resolves "by Friday" to the right calendar day.
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (zone) body.time_zone = zone;
  return apiRequest<Meeting>("/api/v1/meetings", { method: "POST", body });
}

export async function getMeeting(id: string): Promise<Meeting> {
  return apiRequest<Meeting>(`/api/v1/meetings/${encodeURIComponent(id)}`);
}

export async function inviteMember(id: string, email: string): Promise<void> {
  await apiRequest(`/api/v1/meetings/${encodeURIComponent(id)}/members`, { method: "POST", body: { email } });
}

export async function endMeeting(id: string): Promise<void> {
  await apiRequest(`/api/v1/meetings/${encodeURIComponent(id)}/end`, { method: "POST" });
}

export async function transcript(id: string): Promise<Segment[]> {
  const data = await apiRequest<TranscriptOut>(`/api/v1/meetings/${encodeURIComponent(id)}/transcript?format=json`);
  return data.segments.map((segment) => ({ ...segment, final: segment.final ?? true }));
}

/** Correct a final segment's text (a member of the meeting); every version is kept. */
export async function correctSegment(meetingId: string, segmentId: string, text: string): Promise<SegmentHistory> {
  const path = `${meetingPath(meetingId)}/segments/${encodeURIComponent(segmentId)}`;
  return apiRequest<SegmentHistory>(path, { method: "PATCH", body: { text } });
}

/** Every version of a segment's text, the transcribed one first. */
export async function segmentHistory(meetingId: string, segmentId: string): Promise<SegmentHistory> {
  return apiRequest<SegmentHistory>(`${meetingPath(meetingId)}/segments/${encodeURIComponent(segmentId)}/corrections`);
}

/** Name the speaker of one of the meeting's streams. */
export async function renameSpeaker(meetingId: string, streamId: string, label: string): Promise<void> {
  await apiRequest(`${meetingPath(meetingId)}/speakers`, { method: "PUT", body: { stream_id: streamId, label } });
}

export type ExportFormat = "txt" | "srt" | "vtt" | "md";

export async function exportTranscript(id: string, format: ExportFormat): Promise<string> {
  return apiText(`/api/v1/meetings/${encodeURIComponent(id)}/transcript?format=${format}`);
}

export async function summaryMarkdown(id: string): Promise<string> {
  return apiText(`/api/v1/meetings/${encodeURIComponent(id)}/summary?format=md`);
}

export function normaliseSummary(data: Json | null | undefined): Summary | null {
  if (!data) return null;
  const inner = (data.summary && typeof data.summary === "object" ? data.summary : data) as Json;
  if (inner.available === false) return null;
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
  return {
    meeting_id: inner.meeting_id as string | undefined,
    kind: inner.kind as Summary["kind"],
    revision: inner.revision as number | undefined,
    overview: String(inner.overview ?? ""),
    key_points: strings(inner.key_points),
    decisions: strings(inner.decisions),
    open_questions: strings(inner.open_questions),
    action_items: list<ActionItem>(inner.action_items ?? data.action_items),
    source: inner.source as string | undefined,
    created_at: inner.created_at as string | undefined,
  };
}

/** The latest summary, or null while the meeting has none yet. */
export async function summary(id: string): Promise<Summary | null> {
  try {
    return normaliseSummary(await apiRequest<Json>(`/api/v1/meetings/${encodeURIComponent(id)}/summary`));
  } catch (error) {
    if (error instanceof Error && "kind" in error && (error as { kind: string }).kind === "not_found") {
      // The meeting exists (the page loaded it) but nothing was summarised yet.
      return null;
    }
    throw error;
  }
}

/** The board view's shape: columns in order without their cards, the live cards in one list. */
function normaliseBoard(data: BoardOut): Board {
  const columns = [...data.columns].sort((a, b) => a.position - b.position);
  return {
    id: data.id,
    name: data.name,
    owner_id: data.owner_id,
    personal: data.personal,
    archived: data.archived ?? false,
    vocabulary: data.vocabulary ?? [],
    columns: columns.map(({ cards: _cards, ...column }) => column),
    cards: columns.flatMap((column) => column.cards ?? []).filter((card) => !card.archived),
  };
}

export interface BoardInfo {
  id: string;
  name: string;
  meetingIds: string[];
  openCards?: number;
  access?: BoardAccess;
  personal?: boolean;
}

export async function listBoards(): Promise<BoardInfo[]> {
  const boards = await apiRequest<BoardSummary[]>("/api/v1/boards");
  return boards.map((b) => ({
    id: b.id,
    name: b.name,
    meetingIds: b.meeting_ids,
    openCards: b.open_cards,
    access: b.access,
    personal: b.personal,
  }));
}

const boardPath = (id: string) => `/api/v1/boards/${encodeURIComponent(id)}`;

/** A team board the caller owns, with the default columns. */
export async function createBoard(name: string): Promise<Board> {
  return normaliseBoard(await apiRequest<BoardOut>("/api/v1/boards", { method: "POST", body: { name } }));
}

/** Replace a board's vocabulary (its owner only); its meetings' streams inherit it. */
export async function setBoardVocabulary(id: string, vocabulary: string[]): Promise<Board> {
  return normaliseBoard(await apiRequest<BoardOut>(boardPath(id), { method: "PATCH", body: { vocabulary } }));
}

export async function renameBoard(id: string, name: string): Promise<Board> {
  return normaliseBoard(await apiRequest<BoardOut>(boardPath(id), { method: "PATCH", body: { name } }));
}

/** Archive a board (it leaves the board list and My tasks) or restore it; its owner only. */
export async function setBoardArchived(id: string, archived: boolean): Promise<Board> {
  return normaliseBoard(await apiRequest<BoardOut>(boardPath(id), { method: "PATCH", body: { archived } }));
}

export async function boardMembers(id: string): Promise<BoardMember[]> {
  return list<BoardMember>(await apiRequest<unknown>(`${boardPath(id)}/members`), "members");
}

export async function addBoardMember(id: string, email: string): Promise<BoardMember> {
  return apiRequest<BoardMember>(`${boardPath(id)}/members`, { method: "POST", body: { email } });
}

export async function removeBoardMember(id: string, userId: string): Promise<void> {
  await apiRequest(`${boardPath(id)}/members/${encodeURIComponent(userId)}`, { method: "DELETE" });
}

export async function boardWebhooks(boardId: string): Promise<Webhook[]> {
  return apiRequest<Webhook[]>(`/api/v1/webhooks?board_id=${encodeURIComponent(boardId)}`);
}

/** Register a webhook; the answer carries its secret, which is never shown again. */
export async function addWebhook(boardId: string, url: string, events: WebhookEvent[]): Promise<Webhook> {
  return apiRequest<Webhook>("/api/v1/webhooks", { method: "POST", body: { board_id: boardId, url, events } });
}

export async function deleteWebhook(id: string): Promise<void> {
  await apiRequest(`/api/v1/webhooks/${encodeURIComponent(id)}`, { method: "DELETE" });
}

export async function webhookDeliveries(id: string): Promise<WebhookDelivery[]> {
  return apiRequest<WebhookDelivery[]>(`/api/v1/webhooks/${encodeURIComponent(id)}/deliveries?limit=20`);
}

export async function addColumn(boardId: string, name: string): Promise<Board> {
  return normaliseBoard(await apiRequest<BoardOut>(`${boardPath(boardId)}/columns`, { method: "POST", body: { name } }));
}

/** Rename a column or move it to `position` (0-based), against the version last seen. */
export async function updateColumn(
  boardId: string,
  column: Column,
  change: { name?: string; position?: number; wip_limit?: number | null },
): Promise<Board> {
  const body: Json = { ...change };
  if (column.version !== undefined) body.version = column.version;
  return normaliseBoard(
    await apiRequest<BoardOut>(`${boardPath(boardId)}/columns/${encodeURIComponent(column.id)}`, { method: "PATCH", body }),
  );
}

export async function deleteColumn(boardId: string, columnId: string): Promise<Board> {
  return normaliseBoard(
    await apiRequest<BoardOut>(`${boardPath(boardId)}/columns/${encodeURIComponent(columnId)}`, { method: "DELETE" }),
  );
}

export async function getBoard(id: string): Promise<Board> {
  return normaliseBoard(await apiRequest<BoardOut>(`/api/v1/boards/${encodeURIComponent(id)}`));
}

export interface CardEdit {
  title?: string;
  description?: string;
  assignee?: string | null;
  due_date?: string | null;
}

export async function editCard(card: Card, edit: CardEdit): Promise<Card> {
  return apiRequest<Card>(`/api/v1/cards/${encodeURIComponent(card.id)}`, {
    method: "PATCH",
    body: { ...edit, version: card.version },
    headers: { "If-Match": `"${card.version}"` },
  });
}

export async function moveCard(card: Card, columnId: string, position: number): Promise<Card> {
  return apiRequest<Card>(`/api/v1/cards/${encodeURIComponent(card.id)}/move`, {
    method: "POST",
    body: { column_id: columnId, position, version: card.version },
    headers: { "If-Match": `"${card.version}"` },
  });
}

export async function createCard(boardId: string, columnId: string, title: string): Promise<Card> {
  return apiRequest<Card>(`/api/v1/cards`, {
    method: "POST",
    body: { board_id: boardId, column_id: columnId, title },
  });
}

/** Open cards assigned to me on every board I can see, by due date; `today` is my local date. */
export async function myTasks(today: string): Promise<MyTasks> {
  return apiRequest<MyTasks>(`/api/v1/me/tasks?today=${encodeURIComponent(today)}`);
}

export async function cardHistory(id: string): Promise<HistoryEntry[]> {
  const data = await apiRequest<unknown>(`/api/v1/cards/${encodeURIComponent(id)}/history`);
  return list<HistoryEntry>(data, "history", "entries");
}

/** A meeting's analytics: batch figures (status "pending" until the job ran) and live totals. */
export async function meetingAnalytics(id: string, signal?: AbortSignal): Promise<MeetingAnalytics> {
  return apiRequest<MeetingAnalytics>(`/api/v1/analytics/meetings/${encodeURIComponent(id)}`, { signal });
}

/** A board's weekly analytics from `since` (a look-back like "12w", or all when empty). */
export async function boardAnalytics(id: string, since: string): Promise<BoardAnalytics> {
  const query = since ? `?since=${encodeURIComponent(since)}` : "";
  return apiRequest<BoardAnalytics>(`/api/v1/analytics/boards/${encodeURIComponent(id)}${query}`);
}
