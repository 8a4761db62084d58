// The bell in the header: the unread count, live from the person's notifications channel,
// and a list that leads to the card or the meeting's moment and marks what was opened read.

import { useCallback, useEffect, useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { ApiError } from "../api/client";
import { getToken, refreshSession } from "../api/session";
import { useFormat } from "../i18n/format";
import {
  type AppNotification,
  NotificationChannel,
  listNotifications,
  markAllRead,
  markRead,
  notificationLink,
  withPushed,
  withRead,
} from "./notifications";

export function NotificationBell() {
  const { t } = useTranslation();
  const [unread, setUnread] = useState(0);
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<AppNotification[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const panelId = useId();
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const channel = new NotificationChannel({
      token: getToken,
      onMessage: (message) => {
        if (message.type === "ready") setUnread(message.unread);
        if (message.type === "notification") {
          setUnread(message.unread);
          setItems((list) => (list ? withPushed(list, message.notification) : list));
        }
      },
      // An expired token: renew it and listen again; the layout ends a session that is over.
      onUnauthorized: () => void refreshSession().then((fresh) => fresh && channel.start()),
    });
    channel.start();
    return () => channel.close();
  }, []);

  const load = useCallback(async (before?: string) => {
    try {
      const page = await listNotifications(before);
      setUnread(page.unread);
      setItems((list) => (before && list ? [...list, ...page.notifications] : page.notifications));
      setNext(page.next_before ?? null);
      setError(null);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
    }
  }, []);

  useEffect(() => {
    if (open) void load();
  }, [open, load]);

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    const onClick = (event: MouseEvent) => {
      const target = event.target as Node;
      if (!panel.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("mousedown", onClick);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("mousedown", onClick);
    };
  }, [open]);

  const read = (note: AppNotification) => {
    setOpen(false);
    if (note.read) return;
    setItems((list) => (list ? withRead(list, note.id) : list));
    setUnread((count) => Math.max(0, count - 1));
    markRead(note.id).catch(() => void load());
  };

  const readAll = async () => {
    try {
      const answer = await markAllRead();
      setUnread(answer.unread);
      setItems((list) => (list ? list.map((n) => ({ ...n, read: true })) : list));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
    }
  };

  return (
    <div className="notifications">
      <button
        ref={button}
        type="button"
        className="button-quiet notification-bell"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((value) => !value)}
      >
        <svg aria-hidden="true" width="20" height="20" viewBox="0 0 24 24" focusable="false">
          <path
            fill="currentColor"
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
          />
        </svg>
        <span className="visually-hidden">{t("notifications.title")}</span>
        <span className="notification-count" data-testid="unread-count" hidden={unread === 0}>
          <span aria-hidden="true">{unread > 99 ? "99+" : unread}</span>
          <span className="visually-hidden">{t("notifications.unread", { count: unread })}</span>
        </span>
      </button>
      <div
        ref={panel}
        id={panelId}
        className="notification-panel"
        role="region"
        aria-label={t("notifications.title")}
        hidden={!open}
      >
        <div className="notification-head">
          <h2>{t("notifications.title")}</h2>
          <button type="button" className="button-small" onClick={readAll} disabled={unread === 0}>
            {t("notifications.readAll")}
          </button>
        </div>
        {error && <p role="alert">{error}</p>}
        {items === null && !error && <p role="status">{t("common.loading")}</p>}
        {items !== null && items.length === 0 && <p>{t("notifications.none")}</p>}
        {items !== null && items.length > 0 && (
          <ul className="notification-list">
            {items.map((note) => (
              <NotificationItem key={note.id} note={note} onOpen={() => read(note)} />
            ))}
          </ul>
        )}
        {next && (
          <button type="button" className="button-small" onClick={() => void load(next)}>
            {t("notifications.more")}
          </button>
        )}
      </div>
    </div>
  );
}

function NotificationItem({ note, onOpen }: { note: AppNotification; onOpen: () => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const what =
    note.kind === "assigned"
      ? note.actor
        ? t("notifications.assignedBy", { actor: note.actor })
        : t("notifications.assigned")
      : note.kind === "due"
        ? t("notifications.due", { day: note.due_date ? format.day(note.due_date) : "" })
        : note.actor
          ? t("notifications.mentionedBy", { actor: note.actor })
          : t("notifications.mentioned");
  return (
    <li className={note.read ? "notification" : "notification notification-unread"}>
      <Link to={notificationLink(note)} onClick={onOpen}>
        {!note.read && <span className="visually-hidden">{t("notifications.new")} </span>}
        <span className="notification-what">{what}</span>
        <span className="notification-title">{note.title}</span>
        {note.text && <span className="notification-text">“{note.text}”</span>}
      </Link>
      <time dateTime={note.created_at}>{format.relative(note.created_at)}</time>
    </li>
  );
}
