// Which commitments become a meeting's cards: the work it hands out (selective) or also the
// small commitments of a working meeting (thorough). The owner chooses; the next summary
// reads with it. Unset (or set back), the server's VORI_SUMMARIZER__TASKS decides.

import { type ChangeEvent, useId, useState } from "react";
import { useTranslation } from "react-i18next";

import { errorText } from "../api/client";
import type { Meeting } from "../api/types";
import { setMeetingTasks, type TaskSelection } from "../api/vori";
import { isOwner } from "./MeetingAdmin";
import { ErrorMessage } from "./Notice";

export function MeetingTasks({ meeting, onSaved }: { meeting: Meeting; onSaved: (meeting: Meeting) => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const chosen = meeting.tasks ?? "";

  async function choose(event: ChangeEvent<HTMLSelectElement>) {
    setBusy(true);
    setError(null);
    try {
      const value = event.target.value as TaskSelection | "";
      onSaved(await setMeetingTasks(meeting.id, value === "" ? null : value));
    } catch (reason) {
      setError(t("tasks.saveFailed", { reason: errorText(reason) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="meeting-tasks" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>{t("tasks.heading")}</h3>
      {isOwner(meeting) ? (
        <>
          <label htmlFor={`${id}-select`}>{t("tasks.label")}</label>{" "}
          <select id={`${id}-select`} value={chosen} onChange={choose} disabled={busy}>
            <option value="">{t("tasks.default")}</option>
            <option value="selective">{t("tasks.selective")}</option>
            <option value="thorough">{t("tasks.thorough")}</option>
          </select>
        </>
      ) : (
        <p>{t(chosen === "" ? "tasks.default" : `tasks.${chosen}`)}</p>
      )}
      <p className="hint">{t("tasks.hint")}</p>
      {error && <ErrorMessage>{error}</ErrorMessage>}
    </section>
  );
}
