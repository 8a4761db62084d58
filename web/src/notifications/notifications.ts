// In-app notifications: the REST calls, where each one leads, how a pushed one changes the
// list, and the person's own live channel (/api/v1/notifications/events; docs/protocol.md).

import { apiRequest } from "../api/client";
import type { components } from "../api/gateway-schema";
import { type Backoff, ReconnectingSocket } from "../api/reconnectingSocket";

type Schemas = components["schemas"];

export type AppNotification = Schemas["NotificationOut"];

export type NotificationKind = AppNotification["kind"];

export type NotificationList = Schemas["NotificationPage"];

export const PAGE_SIZE = 20;

export function listNotifications(before?: string): Promise<NotificationList> {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (before) query.set("before", before);
  return apiRequest<NotificationList>(`/api/v1/notifications?${query}`);
}

export function markRead(id: string): Promise<AppNotification> {
  return apiRequest<AppNotification>(`/api/v1/notifications/${encodeURIComponent(id)}/read`, { method: "POST" });
}

export function markAllRead(): Promise<Schemas["ReadAll"]> {
  return apiRequest(`/api/v1/notifications/read-all`, { method: "POST" });
}

/** Where a notification leads: the card on its board, or the moment of the meeting. */
export function notificationLink(note: AppNotification): string {
  if (note.kind === "mention" && note.meeting_id) {
    const meeting = `/meetings/${encodeURIComponent(note.meeting_id)}`;
    return note.segment_id ? `${meeting}?at=${encodeURIComponent(note.segment_id)}` : meeting;
  }
  if (note.board_id) {
    const board = `/boards/${encodeURIComponent(note.board_id)}`;
    return note.card_id ? `${board}?card=${encodeURIComponent(note.card_id)}` : board;
  }
  return "/tasks";
}

/** The list after a pushed notification: newest first, each once (a push may repeat one). */
export function withPushed(list: AppNotification[], note: AppNotification): AppNotification[] {
  return [note, ...list.filter((n) => n.id !== note.id)];
}

/** The list with one notification marked read. */
export function withRead(list: AppNotification[], id: string): AppNotification[] {
  return list.map((n) => (n.id === id ? { ...n, read: true } : n));
}

export type ChannelMessage =
  | { type: "ready"; unread: number }
  | { type: "notification"; notification: AppNotification; unread: number }
  | { type: "pong" };

export interface ChannelOptions {
  token: () => string | null;
  onMessage: (message: ChannelMessage) => void;
  onUnauthorized: (reason: string) => void;
}

export function channelUrl(): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/notifications/events`;
}

// 1 s, 2 s, 4 s, 8 s, then 10 s (±25%): a notification can wait longer than a live transcript.
const CHANNEL_BACKOFF: Backoff = { baseMs: 500, maxMs: 10000, maxExponent: 5 };

/** The person's notifications socket; reconnects with back-off until closed. */
export class NotificationChannel {
  private readonly socket: ReconnectingSocket;

  constructor(options: ChannelOptions) {
    this.socket = new ReconnectingSocket({
      url: channelUrl,
      token: options.token,
      backoff: CHANNEL_BACKOFF,
      onMessage: (message) => options.onMessage(message as ChannelMessage),
      onUnauthorized: options.onUnauthorized,
    });
  }

  start(): void {
    this.socket.start();
  }

  close(): void {
    this.socket.close();
  }
}
