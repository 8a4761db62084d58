// A meeting's (or a board's) vocabulary: names and terms that bias transcription. Any member
// may edit a meeting's, a board's owner the board's; it reaches a stream when it (re)connects.

import { type FormEvent, useId, useState } from "react";
import { useTranslation } from "react-i18next";

import { errorText } from "../api/client";
import type { Meeting } from "../api/types";
import { setMeetingVocabulary } from "../api/vori";
import { ErrorMessage } from "./Notice";

/** One term a line; blank lines dropped. The gateway tidies and checks the rest. */
export function termsOf(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

export function MeetingVocabulary({ meeting, onSaved }: { meeting: Meeting; onSaved: (meeting: Meeting) => void }) {
  return (
    <VocabularyEditor
      terms={meeting.vocabulary ?? []}
      hint="vocabulary.hint"
      save={async (terms) => onSaved(await setMeetingVocabulary(meeting.id, terms))}
    />
  );
}

/** A list of terms shown, and edited one a line; `save` sends them (errors shown here). */
export function VocabularyEditor({
  terms,
  hint,
  empty = "vocabulary.empty",
  save: send,
}: {
  terms: string[];
  hint: "vocabulary.hint" | "vocabulary.boardHint";
  empty?: "vocabulary.empty" | "vocabulary.boardEmpty";
  save: (terms: string[]) => Promise<void>;
}) {
  const { t } = useTranslation();
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(terms.join("\n"));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await send(termsOf(text));
      setEditing(false);
    } catch (reason) {
      setError(t("vocabulary.saveFailed", { reason: errorText(reason) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="meeting-vocabulary" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>{t("vocabulary.heading")}</h3>
      {editing ? (
        <form onSubmit={save}>
          <label htmlFor={`${id}-terms`}>{t("vocabulary.label")}</label>
          <textarea
            id={`${id}-terms`}
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={6}
            autoFocus
          />
          <p className="hint">{t(hint)}</p>
          <button type="submit" className="button-primary" disabled={busy}>
            {t("vocabulary.save")}
          </button>
          <button
            type="button"
            onClick={() => {
              setEditing(false);
              setText(terms.join("\n"));
              setError(null);
            }}
          >
            {t("vocabulary.cancel")}
          </button>
        </form>
      ) : (
        <>
          {terms.length > 0 ? (
            <ul className="vocabulary-terms">
              {terms.map((term) => (
                <li key={term}>{term}</li>
              ))}
            </ul>
          ) : (
            <p className="hint">{t(empty)}</p>
          )}
          <button type="button" onClick={() => setEditing(true)}>
            {t("vocabulary.edit")}
          </button>
        </>
      )}
      <ErrorMessage>{error}</ErrorMessage>
    </section>
  );
}
