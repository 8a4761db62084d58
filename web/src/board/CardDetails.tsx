// A card's details in a modal dialog: edit with the version check, history, evidence.

import { type FormEvent, useEffect, useRef, useState } from "react";
import { Link } from "react-router";

import { ApiError, errorText } from "../api/client";
import type { Board, Card, HistoryActor, HistoryEntry } from "../api/types";
import { cardHistory, editCard } from "../api/vori";
import { ErrorMessage, InfoMessage } from "../components/Notice";

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
      if (!conflicted.current) setInfo("Someone else just changed this card; the form shows their version.");
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
      setInfo("Saved.");
    } catch (reason) {
      if (reason instanceof ApiError && reason.kind === "conflict") {
        setError(
          "Someone else changed this card while you were editing it, so your change was not saved. " +
            "The card now shows their version: check it and make your change again.",
        );
        if (card.version !== base.version) {
          setBase(card);
          setForm(fieldsOf(card));
        } else {
          conflicted.current = true;
        }
        onConflict();
      } else {
        setError(`Could not save: ${errorText(reason)}`);
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
          Close
        </button>
      </div>
      <p className="meta">
        In {column?.name ?? "an unknown column"} · version {card.version}
        {card.source && ` · from ${card.source === "human" ? "a person" : card.source === "rules" ? "the meeting (rules)" : "the meeting (language model)"}`}
      </p>
      <form onSubmit={save} className="card-form">
        <label>
          Title
          <input value={form.title} onChange={(e) => set("title")(e.target.value)} required />
        </label>
        <label>
          Description
          <textarea value={form.description} onChange={(e) => set("description")(e.target.value)} rows={3} />
        </label>
        <div className="form-row">
          <label>
            Assignee
            <input value={form.assignee} onChange={(e) => set("assignee")(e.target.value)} />
          </label>
          <label>
            Due date
            <input type="date" value={form.due} onChange={(e) => set("due")(e.target.value)} />
          </label>
          <label>
            Column
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
          Save changes
        </button>
      </form>
      {(card.evidence?.length ?? 0) > 0 && (
        <section aria-labelledby="evidence-heading">
          <h3 id="evidence-heading">Said in the meeting</h3>
          {card.evidence!.map((evidence) => {
            const meetingId = card.meeting_id ?? (evidence as { meeting_id?: string }).meeting_id;
            return (
              <figure key={evidence.segment_id} className="evidence">
                <blockquote>“{evidence.quote}”</blockquote>
                {meetingId && (
                  <figcaption>
                    <Link to={`/meetings/${meetingId}?at=${encodeURIComponent(evidence.segment_id)}`} className="evidence-link">
                      Jump to this moment in the transcript
                    </Link>
                  </figcaption>
                )}
              </figure>
            );
          })}
        </section>
      )}
      <section aria-labelledby="history-heading">
        <h3 id="history-heading">History</h3>
        <ErrorMessage>{historyError}</ErrorMessage>
        {history === null && !historyError && <p role="status">Loading history…</p>}
        {history && history.length === 0 && <p className="meta">No changes yet.</p>}
        {history && (
          <ol className="history">
            {history.map((entry, i) => (
              <li key={entry.id ?? i}>
                <time className="meta">{new Date(entry.at).toLocaleString()}</time> {entry.change}
                {entry.actor && ` by ${actorName(entry.actor)}`}
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

function actorName(actor: HistoryActor): string {
  if (actor.type === "meeting") return `the meeting ${actor.name ? `“${actor.name}”` : ""}`.trim();
  return actor.name || "a person";
}

function show(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}
