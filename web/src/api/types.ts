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

export interface Board {
  id: string;
  name: string;
  columns: Column[];
  cards: Card[];
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
