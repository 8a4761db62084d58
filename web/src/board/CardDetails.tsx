// A card's details in a modal dialog: edit with the version check, history, evidence.

import { type FormEvent, useEffect, useRef, useState } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { ApiError, errorText } from "../api/client";
import type { Board, Card, HistoryActor, HistoryEntry } from "../api/types";
import { cardHistory, editCard } from "../api/vori";
import { ErrorMessage, InfoMessage } from "../components/Notice";
import { useFormat } from "../i18n/format";

interface Props {
  board: Board;
  card: Card;
  onClose: () => void;
  onSaved: (card: Card) => void;
  /** The card changed on the server meanwhile: reload the board. */
  onConflict: () => void;
  onMove: (card: Card, columnId: string) => void;
}

interface Fields {
  title: string;
  description: string;
  assignee: string;
  due: string;
}

function fieldsOf(card: Card): Fields {
  return {
    title: card.title,
    description: card.description ?? "",
    assignee: card.assignee ?? "",
    due: card.due_date ?? "",
  };
}

export function CardDetails({ board, card, onClose, onSaved, onConflict, onMove }: Props) {
  const { t } = useTranslation();
  const format = useFormat();
  const dialog = useRef<HTMLDialogElement>(null);
  // The version the person is editing: a save is checked against it, not the newest one.
  const [base, setBase] = useState<Card>(card);
  const [form, setForm] = useState<Fields>(() => fieldsOf(card));
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [history, setHistory] = useState<HistoryEntry[] | null>(null);
  const [historyError, setHistoryError] = useState<string | null>(null);
  const conflicted = useRef(false);
  const dirty = JSON.stringify(form) !== JSON.stringify(fieldsOf(base));
  const set = (field: keyof Fields) => (value: string) => setForm((f) => ({ ...f, [field]: value }));

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  // A newer version arrived (live, or reloaded after a conflict). Untouched forms follow
  // it; a form with the person's edits is kept, and its save will meet the version check.
  useEffect(() => {
    if (card.version === base.version) return;
    if (!dirty || conflicted.current) {
      if (!conflicted.current) setInfo(t("card.changedElsewhere"));
      conflicted.current = false;
      setBase(card);
      setForm(fieldsOf(card));
    }
  }, [card]);

  useEffect(() => {
    cardHistory(card.id).then(setHistory, (reason: unknown) => setHistoryError(errorText(reason)));
  }, [card.id, card.version]);

  async function save(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setInfo(null);
    setBusy(true);
    try {
      const saved = await editCard(
        { ...card, version: base.version },
        {
          title: form.title.trim(),
          description: form.description.trim(),
          assignee: form.assignee.trim() || null,
          due_date: form.due || null,
        },
      );
      setBase(saved);
      setForm(fieldsOf(saved));
      onSaved(saved);
      setInfo(t("card.saved"));
    } catch (reason) {
      if (reason instanceof ApiError && reason.kind === "conflict") {
        setError(t("card.conflict"));
        if (card.version !== base.version) {
          setBase(card);
          setForm(fieldsOf(card));
        } else {
          conflicted.current = true;
        }
        onConflict();
      } else {
        setError(t("card.saveFailed", { reason: errorText(reason) }));
      }
    } finally {
      setBusy(false);
    }
  }

  const column = board.columns.find((c) => c.id === card.column_id);
  return (
    <dialog ref={dialog} className="card-dialog" aria-labelledby="card-dialog-title" onClose={onClose}>
      <div className="dialog-head">
        <h2 id="card-dialog-title">{card.title}</h2>
        <button type="button" className="button-quiet" onClick={() => dialog.current?.close()}>
          {t("card.close")}
        </button>
      </div>
      <p className="meta">
        {t("card.inColumn", { column: column?.name ?? t("card.unknownColumn"), version: card.version })}
        {card.source && t(card.source === "human" ? "card.fromPerson" : card.source === "rules" ? "card.fromRules" : "card.fromModel")}
      </p>
      <form onSubmit={save} className="card-form">
        <label>
          {t("card.title")}
          <input value={form.title} onChange={(e) => set("title")(e.target.value)} required />
        </label>
        <label>
          {t("card.description")}
          <textarea value={form.description} onChange={(e) => set("description")(e.target.value)} rows={3} />
        </label>
        <div className="form-row">
          <label>
            {t("card.assignee")}
            <input value={form.assignee} onChange={(e) => set("assignee")(e.target.value)} />
          </label>
          <label>
            {t("card.due")}
            <input type="date" value={form.due} onChange={(e) => set("due")(e.target.value)} />
          </label>
          <label>
            {t("card.column")}
            <select value={card.column_id} onChange={(e) => onMove(card, e.target.value)}>
              {board.columns.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <InfoMessage>{info}</InfoMessage>
        <button type="submit" className="button-primary" disabled={busy}>
          {t("card.save")}
        </button>
      </form>
      {(card.evidence?.length ?? 0) > 0 && (
        <section aria-labelledby="evidence-heading">
          <h3 id="evidence-heading">{t("card.evidence")}</h3>
          {card.evidence!.map((evidence) => {
            const meetingId = card.meeting_id ?? (evidence as { meeting_id?: string }).meeting_id;
            return (
              <figure key={evidence.segment_id} className="evidence">
                <blockquote>“{evidence.quote}”</blockquote>
                {meetingId && (
                  <figcaption>
                    <Link to={`/meetings/${meetingId}?at=${encodeURIComponent(evidence.segment_id)}`} className="evidence-link">
                      {t("card.jump")}
                    </Link>
                  </figcaption>
                )}
              </figure>
            );
          })}
        </section>
      )}
      <section aria-labelledby="history-heading">
        <h3 id="history-heading">{t("card.history")}</h3>
        <ErrorMessage>{historyError}</ErrorMessage>
        {history === null && !historyError && <p role="status">{t("card.loadingHistory")}</p>}
        {history && history.length === 0 && <p className="meta">{t("card.noChanges")}</p>}
        {history && (
          <ol className="history">
            {history.map((entry, i) => (
              <li key={entry.id ?? i}>
                <time className="meta" dateTime={entry.at}>
                  {format.dateTime(entry.at)}
                </time>{" "}
                {entry.change}
                {entry.actor && t("card.by", { actor: actorName(t, entry.actor) })}
                <HistoryDiff entry={entry} />
              </li>
            ))}
          </ol>
        )}
      </section>
    </dialog>
  );
}

function HistoryDiff({ entry }: { entry: HistoryEntry }) {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const fields = Object.keys(after).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
  if (!fields.length) return null;
  return (
    <ul className="history-diff">
      {fields.map((field) => (
        <li key={field}>
          {field}: {show(before[field])} → {show(after[field])}
        </li>
      ))}
    </ul>
  );
}

function actorName(t: TFunction, actor: HistoryActor): string {
  if (actor.type === "meeting") return actor.name ? t("card.theMeetingNamed", { name: actor.name }) : t("card.theMeeting");
  return actor.name || t("card.aPerson");
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}
