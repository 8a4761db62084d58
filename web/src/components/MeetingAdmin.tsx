// Managing a meeting: its owner renames or deletes it and removes members; a member leaves.

import { type FormEvent, useId, useState } from "react";
import { useTranslation } from "react-i18next";

import { errorText } from "../api/client";
import { decodeClaims, getToken } from "../api/session";
import type { Meeting } from "../api/types";
import { deleteMeeting, removeMeetingMember, renameMeeting } from "../api/vori";
import { ErrorMessage } from "./Notice";

function useText() {
  const { t } = useTranslation();
  return {
    rename: t("admin.rename"),
    renameLabel: (title: string) => t("admin.renameLabel", { title }),
    titleLabel: t("admin.titleLabel"),
    save: t("admin.save"),
    cancel: t("admin.cancel"),
    delete: t("admin.delete"),
    confirmDelete: (title: string) => t("admin.confirmDelete", { title }),
    renameFailed: (reason: string) => t("admin.renameFailed", { reason }),
    deleteFailed: (reason: string) => t("admin.deleteFailed", { reason }),
    owner: t("admin.owner"),
    you: t("admin.you"),
    inCall: t("admin.inCall"),
    remove: t("admin.remove"),
    removeLabel: (name: string) => t("admin.removeLabel", { name }),
    confirmRemove: (name: string) => t("admin.confirmRemove", { name }),
    removeFailed: (name: string, reason: string) => t("admin.removeFailed", { name, reason }),
    leave: t("admin.leave"),
    confirmLeave: t("admin.confirmLeave"),
    leaveFailed: (reason: string) => t("admin.leaveFailed", { reason }),
  };
}

/** The signed-in person's user id, from their token. */
export function myUserId(): string | null {
  const token = getToken();
  return token ? (decodeClaims(token)?.sub ?? null) : null;
}

export function isOwner(meeting: Meeting | null | undefined): boolean {
  return !!meeting?.owner_id && meeting.owner_id === myUserId();
}

/** Rename and delete, for the meeting's owner (renders nothing for anyone else). */
export function MeetingOwnerActions({
  meeting,
  onRenamed,
  onDeleted,
}: {
  meeting: Meeting;
  onRenamed: (meeting: Meeting) => void;
  onDeleted: () => void;
}) {
  const TEXT = useText();
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(meeting.title);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!isOwner(meeting)) return null;

  async function rename(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onRenamed(await renameMeeting(meeting.id, title.trim()));
      setEditing(false);
    } catch (reason) {
      setError(TEXT.renameFailed(errorText(reason)));
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (!window.confirm(TEXT.confirmDelete(meeting.title))) return;
    setBusy(true);
    setError(null);
    try {
      await deleteMeeting(meeting.id);
      onDeleted();
    } catch (reason) {
      setError(TEXT.deleteFailed(errorText(reason)));
      setBusy(false);
    }
  }

  return (
    <div className="meeting-admin">
      {editing ? (
        <form className="inline-form" onSubmit={rename}>
          <label htmlFor={`${id}-title`}>{TEXT.titleLabel}</label>
          <input
            id={`${id}-title`}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            required
            maxLength={300}
            autoFocus
          />
          <button type="submit" className="button-primary" disabled={busy || !title.trim()}>
            {TEXT.save}
          </button>
          <button
            type="button"
            onClick={() => {
              setEditing(false);
              setTitle(meeting.title);
            }}
          >
            {TEXT.cancel}
          </button>
        </form>
      ) : (
        <button type="button" onClick={() => setEditing(true)} aria-label={TEXT.renameLabel(meeting.title)}>
          {TEXT.rename}
        </button>
      )}
      <button type="button" className="button-danger" onClick={() => void remove()} disabled={busy}>
        {TEXT.delete}
      </button>
      <ErrorMessage>{error}</ErrorMessage>
    </div>
  );
}

/** The meeting's members: the owner removes anyone else, a member may leave. */
export function MeetingPeople({
  meeting,
  online,
  onChanged,
  onLeft,
}: {
  meeting: Meeting;
  online: Record<string, string>;
  onChanged: () => void;
  onLeft: () => void;
}) {
  const TEXT = useText();
  const me = myUserId();
  const owner = isOwner(meeting);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function remove(userId: string, name: string) {
    const leaving = userId === me;
    if (!window.confirm(leaving ? TEXT.confirmLeave : TEXT.confirmRemove(name))) return;
    setBusy(true);
    setError(null);
    try {
      await removeMeetingMember(meeting.id, userId);
      if (leaving) onLeft();
      else onChanged();
    } catch (reason) {
      setError(leaving ? TEXT.leaveFailed(errorText(reason)) : TEXT.removeFailed(name, errorText(reason)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <ul className="people">
        {(meeting.members ?? []).map((member) => (
          <li key={member.user_id}>
            <span>
              {member.display_name}
              {member.role === "owner" && <span className="meta"> ({TEXT.owner})</span>}
              {member.user_id === me && member.role !== "owner" && <span className="meta"> ({TEXT.you})</span>}
            </span>
            {online[member.user_id] !== undefined && <span className="badge">{TEXT.inCall}</span>}
            {owner && member.role !== "owner" && (
              <button
                type="button"
                className="button-small"
                disabled={busy}
                aria-label={TEXT.removeLabel(member.display_name)}
                onClick={() => void remove(member.user_id, member.display_name)}
              >
                {TEXT.remove}
              </button>
            )}
          </li>
        ))}
      </ul>
      {!owner && me && (
        <button type="button" className="button-small" disabled={busy} onClick={() => void remove(me, "")}>
          {TEXT.leave}
        </button>
      )}
      <ErrorMessage>{error}</ErrorMessage>
    </>
  );
}
