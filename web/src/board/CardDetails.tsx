// A card's details in a modal dialog: edit (fields and column, saved together) with the
// version check, history, evidence.

import { type FormEvent, useEffect, useRef, useState } from "react";
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { ApiError, errorText } from "../api/client";
import type { Board, Card, HistoryActor, HistoryEntry } from "../api/types";
import { cardHistory, editCard, moveCard } from "../api/vori";
import { ErrorMessage, InfoMessage } from "../components/Notice";
import { useFormat } from "../i18n/format";
import { type CardDraft, cardSave, draftOf, isDirty } from "./cardDraft";
import { historyLines } from "./history";
import { CARD_TITLE_MAX } from "./limits";
import { cardsIn } from "./moves";

interface Props {
  board: Board;
  card: Card;
  onClose: () => void;
  onSaved: (card: Card) => void;
  /** The card changed on the server meanwhile: reload the board. */
  onConflict: () => void;
}

export function CardDetails({ board, card, onClose, onSaved, onConflict }: Props) {
  const { t } = useTranslation();
  const format = useFormat();
  const dialog = useRef<HTMLDialogElement>(null);
  // The version the person is editing: a save is checked against it, not the newest one.
  const [base, setBase] = useState<Card>(card);
  const [form, setForm] = useState<CardDraft>(() => draftOf(card));
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [history, setHistory] = useState<HistoryEntry[] | null>(null);
  const [historyError, setHistoryError] = useState<string | null>(null);
  const conflicted = useRef(false);
  const dirty = isDirty(base, form);
  const set = (field: keyof CardDraft) => (value: string) => setForm((f) => ({ ...f, [field]: value }));

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
      setForm(draftOf(card));
    }
  }, [card]);

  useEffect(() => {
    cardHistory(card.id).then(setHistory, (reason: unknown) => setHistoryError(errorText(reason)));
  }, [card.id, card.version]);

  // The field edit is checked against the version the person opened, and the move against
  // the version that edit left: the dialog's own edit is no conflict, another person's is.
  async function save(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setInfo(null);
    const { edit, columnId } = cardSave(base, form);
    if (!edit && !columnId) {
      setInfo(t("card.nothingChanged"));
      return;
    }
    setBusy(true);
    let edited: Card | null = null;
    try {
      if (edit) edited = await editCard({ ...card, version: base.version }, edit);
      const from = edited ?? { ...card, version: base.version };
      const saved = columnId ? await moveCard(from, columnId, cardsIn(board, columnId).length) : from;
      setBase(saved);
      setForm(draftOf(saved));
      onSaved(saved);
      setInfo(t("card.saved"));
    } catch (reason) {
      if (edited) {
        // The fields were saved, the move was not: keep the column the person chose.
        setBase(edited);
        setForm({ ...draftOf(edited), columnId: form.columnId });
        onSaved(edited);
      }
      const wipFull = reason instanceof ApiError && reason.kind === "conflict" && /WIP limit/.test(reason.message);
      if (reason instanceof ApiError && reason.kind === "conflict" && !wipFull) {
        setError(t("card.conflict"));
        if (!edited && card.version !== base.version) {
          setBase(card);
          setForm(draftOf(card));
        } else {
          conflicted.current = true;
        }
        onConflict();
      } else {
        setError(t(edited ? "card.savedNotMoved" : "card.saveFailed", { reason: errorText(reason) }));
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
          <input value={form.title} onChange={(e) => set("title")(e.target.value)} required maxLength={CARD_TITLE_MAX} />
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
            <select value={form.columnId} onChange={(e) => set("columnId")(e.target.value)}>
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
                {t(`card.changes.${entry.change}`, { defaultValue: entry.change })}
                {entry.actor && t("card.by", { actor: actorName(t, entry.actor) })}
                <HistoryDiff entry={entry} columns={board.columns} />
              </li>
            ))}
          </ol>
        )}
      </section>
    </dialog>
  );
}

/** The fields an entry changed, by their names in the form; see history.ts for the rules. */
const FIELD_LABELS: Record<string, string> = {
  title: "card.title",
  description: "card.description",
  assignee: "card.assignee",
  due_date: "card.due",
  column: "card.column",
  position: "card.position",
  evidence: "card.evidence",
  archived: "card.archivedField",
};

function HistoryDiff({ entry, columns }: { entry: HistoryEntry; columns: Board["columns"] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const lines = historyLines(entry, columns, {
    empty: "—",
    yes: t("card.yes"),
    no: t("card.no"),
    removedColumn: t("card.removedColumn"),
    evidence: (count) => t("card.linkedMoments", { count }),
    day: format.day,
  });
  if (!lines.length) return null;
  return (
    <ul className="history-diff">
      {lines.map((line) => {
        const label = FIELD_LABELS[line.field];
        return (
          <li key={line.field}>
            {label ? t(label) : line.field}: {line.before} → {line.after}
          </li>
        );
      })}
    </ul>
  );
}

function actorName(t: TFunction, actor: HistoryActor): string {
  if (actor.type === "meeting") return actor.name ? t("card.theMeetingNamed", { name: actor.name }) : t("card.theMeeting");
  return actor.name || t("card.aPerson");
}

