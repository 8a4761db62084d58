// Shapes of the gateway's and kanban's JSON, as the web app uses them (docs/protocol.md).

export interface User {
  id: string;
  email: string;
  display_name: string;
}

export type Language = "en" | "ko" | "auto";

export interface Member {
  user_id: string;
  email: string;
  display_name: string;
  role?: string;
}

export interface Meeting {
  id: string;
  title: string;
  language: Language;
  owner_id?: string;
  board_id?: string | null;
  created_at?: string;
  ended_at?: string | null;
  members?: Member[];
}

export interface Word {
  word: string;
  start: number;
  end: number;
  probability?: number | null;
}

export interface Segment {
  id: string;
  meeting_id?: string;
  stream_id: string;
  participant_id?: string | null;
  speaker?: string | null;
  start: number;
  end: number;
  text: string;
  stable_text?: string;
  words?: Word[];
  language?: string | null;
  final: boolean;
  revision?: number;
  /** Seconds since the meeting was created (stream times are per stream). */
  meeting_start?: number | null;
  meeting_end?: number | null;
  /** A member corrected the text; `original_text` is what was transcribed. */
  edited?: boolean;
  original_text?: string | null;
  correction_version?: number;
}

/** Every version of a segment's text (PATCH or GET .../segments/{id}/corrections). */
export interface SegmentHistory {
  segment_id: string;
  original_text: string;
  text: string;
  versions: { version: number; text: string; edited_by: string | null; edited_at: string | null }[];
}

export interface Evidence {
  segment_id: string;
  quote: string;
  at?: number | null;
}

export interface ActionItem {
  task_key: string;
  title: string;
  assignee?: string | null;
  due_date?: string | null;
  status?: "open" | "cancelled";
  evidence?: Evidence[];
  card?: { id: string; board_id: string; column?: string; version?: number } | null;
}

export interface Summary {
  meeting_id?: string;
  kind?: "rolling" | "final";
  revision?: number;
  overview: string;
  key_points: string[];
  decisions: string[];
  open_questions: string[];
  action_items: ActionItem[];
  source?: string;
  created_at?: string;
}

export interface Column {
  id: string;
  name: string;
  position?: number;
  version?: number;
  /** At most this many cards (people cannot add one more); null: no limit. */
  wip_limit?: number | null;
}

export interface Card {
  id: string;
  board_id: string;
  column_id: string;
  title: string;
  description?: string | null;
  assignee?: string | null;
  due_date?: string | null;
  position: number;
  version: number;
  source?: string;
  task_key?: string | null;
  meeting_id?: string | null;
  evidence?: Evidence[];
  archived?: boolean;
  updated_at?: string;
}

/** A card assigned to the signed-in person (GET /api/v1/me/tasks). */
export interface MyTask {
  id: string;
  board_id: string;
  board_name: string;
  column: string;
  title: string;
  assignee?: string | null;
  due_date?: string | null;
  meeting_id?: string | null;
  overdue: boolean;
}

export interface MyTasks {
  today: string;
  overdue: number;
  tasks: MyTask[];
}

export interface Board {
  id: string;
  name: string;
  columns: Column[];
  cards: Card[];
  owner_id?: string;
  personal?: boolean;
  /** Archived: kept and readable, left out of the board list and My tasks. */
  archived?: boolean;
}

/** How the caller reaches a board: its owner, an explicit member, or through a meeting. */
export type BoardAccess = "owner" | "member" | "meeting";

export interface BoardMember {
  user_id: string;
  display_name: string;
  email: string;
}

export type WebhookEvent = "meeting.ended" | "summary.final" | "card.created" | "card.changed";

/** A board's webhook (GET /api/v1/webhooks); its secret comes only in the creation answer. */
export interface Webhook {
  id: string;
  board_id: string;
  url: string;
  events: WebhookEvent[];
  created_at: string;
  secret?: string;
}

/** One event sent to a webhook: its outcome after every attempt so far. */
export interface WebhookDelivery {
  id: string;
  event: WebhookEvent;
  meeting_id: string | null;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export type MeetingStatus = "active" | "ended";

/** What the meeting list narrows to (GET /api/v1/meetings); empty fields are not sent. */
export interface MeetingFilter {
  q?: string;
  board_id?: string;
  status?: MeetingStatus | "";
  /** Calendar days (YYYY-MM-DD) in the browser's time zone, both included. */
  from?: string;
  to?: string;
}

/** One page of the meeting list; `next` is the cursor of the following page, if any. */
export interface MeetingPage {
  meetings: Meeting[];
  next: string | null;
}

export interface HistoryActor {
  type: "person" | "meeting";
  user_id?: string | null;
  name?: string | null;
  meeting_id?: string | null;
  source?: string;
}

export interface HistoryEntry {
  id?: string | number;
  at: string;
  actor?: HistoryActor | null;
  change: string;
  version?: number;
  declined?: Record<string, unknown> | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export interface ClientConfig {
  audio_ws_url: string;
  audio_path_template: string;
  sample_rate: number;
  encoding: string;
  channels: number;
}

/** A live event from the meeting's events WebSocket. */
export interface LiveEvent {
  type: string;
  seq?: number;
  [field: string]: unknown;
}

// -- analytics (GET /api/v1/analytics/*; the Spark jobs compute them) --------------------

/** pending: not analysed yet; partial: analysed while still running; ready: after it ended. */
export type AnalysisStatus = "pending" | "partial" | "ready";

export interface MeetingFigures {
  started_at: string;
  duration_s: number;
  speech_s: number;
  silence_share: number;
  overlap_s: number;
  interruptions: number;
  questions: number;
  decisions: number;
  action_items: number;
  speakers: number;
  words: number;
  gini: number;
  efficiency: number;
}

export interface SpeakerFigures {
  participant_id: string;
  speaker: string;
  user_id: string | null;
  talk_s: number;
  talk_share: number;
  words: number;
  wpm: number;
  turns: number;
  longest_monologue_s: number;
  interruptions_made: number;
  interrupted: number;
  overlap_s: number;
  questions: number;
}

export interface LiveSpeaker {
  participant_id: string;
  speaker: string;
  segments: number;
  talk_s: number;
  talk_share: number;
  words: number;
  wpm: number;
  last_end_s: number;
  updated_at: string;
}

export interface LiveTotals {
  active: boolean;
  updated_at: string | null;
  talk_s: number;
  speakers: LiveSpeaker[];
}

export interface MeetingAnalytics {
  meeting_id: string;
  status: AnalysisStatus;
  computed_at: string | null;
  figures: MeetingFigures | null;
  speakers: SpeakerFigures[];
  live: LiveTotals;
}

export interface BoardWeek {
  week: string;
  meetings: number;
  meeting_hours: number;
  items_created: number;
  items_completed: number;
  items_overdue: number;
  median_time_to_done_h: number | null;
}

export interface PersonWeek {
  person: string;
  name: string;
  week: string;
  meetings: number;
  talk_s: number;
  talk_share: number;
  words: number;
  wpm: number;
}

export interface Topic {
  topic: number;
  terms: { term: string; weight: number }[];
  meetings: number;
  share: number;
}

export interface KeywordWeek {
  week: string;
  term: string;
  score: number;
  meetings: number;
}

export interface BoardMeeting {
  meeting_id: string;
  title: string;
  started_at: string;
  duration_s: number;
  speakers: number;
  gini: number;
  efficiency: number;
}

export interface BoardAnalytics {
  board_id: string;
  status: "pending" | "ready";
  since: string | null;
  computed_at: string | null;
  weeks: BoardWeek[];
  people: PersonWeek[];
  topics: Topic[];
  keywords: KeywordWeek[];
  meetings: BoardMeeting[];
}
