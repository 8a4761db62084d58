// Re-transcribe the meeting's archived audio with another model: the owner only. The job's
// status is polled while it runs; the new transcript replaces the old one when it is done.

import { useEffect, useId, useState } from "react";
import { useTranslation } from "react-i18next";

import { errorText } from "../api/client";
import {
  isActive,
  listRetranscriptions,
  type Retranscription,
  startRetranscription,
} from "../api/retranscriptions";
import type { Meeting } from "../api/types";
import { isOwner } from "./MeetingAdmin";
import { ErrorMessage } from "./Notice";

const POLL_MS = 2000;

/** The models that can transcribe a meeting in `language`: English-only ones (`tiny.en`)
 * only for an English meeting (the server refuses them for any other). */
export function modelsFor(models: string[], language: string): string[] {
  return models.filter((name) => language === "en" || !name.endsWith(".en"));
}

export function Retranscribe({ meeting, onReplaced }: { meeting: Meeting; onReplaced?: () => void }) {
  const { t } = useTranslation();
  const id = useId();
  const owner = isOwner(meeting);
  const [models, setModels] = useState<string[]>([]);
  const [model, setModel] = useState("base");
  const [job, setJob] = useState<Retranscription | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!owner) return;
    let stop = false;
    listRetranscriptions(meeting.id)
      .then((list) => {
        if (stop) return;
        const usable = modelsFor(list.models, meeting.language);
        setModels(usable);
        setModel((current) => (usable.length && !usable.includes(current) ? usable[0]! : current));
        setJob(list.retranscriptions[0] ?? null);
      })
      .catch((reason) => !stop && setError(errorText(reason)));
    return () => {
      stop = true;
    };
  }, [meeting.id, meeting.language, owner]);

  const active = isActive(job);
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => {
      listRetranscriptions(meeting.id)
        .then((list) => {
          const latest = list.retranscriptions[0] ?? null;
          setJob(latest);
          if (latest?.status === "replaced") onReplaced?.();
        })
        .catch((reason) => setError(errorText(reason)));
    }, POLL_MS);
    return () => window.clearInterval(timer);
  }, [active, meeting.id, onReplaced]);

  if (!owner) return null;

  async function start() {
    setBusy(true);
    setError(null);
    try {
      setJob(await startRetranscription(meeting.id, model));
    } catch (reason) {
      setError(t("retranscribe.failed", { reason: errorText(reason) }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="exports" role="group" aria-label={t("retranscribe.group")}>
      <label htmlFor={id} className="meta">
        {t("retranscribe.model")}
      </label>{" "}
      <select id={id} value={model} disabled={busy || active} onChange={(event) => setModel(event.target.value)}>
        {(models.length ? models : ["base"]).map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>{" "}
      <button type="button" disabled={busy || active} onClick={() => void start()}>
        {t("retranscribe.start")}
      </button>
      {job && (
        <p className="meta" role="status">
          {job.status === "failed"
            ? t("retranscribe.jobFailed", { reason: job.error ?? "" })
            : t(`retranscribe.status.${job.status}`, { model: job.model, progress: Math.round(job.progress * 100) })}
        </p>
      )}
      <ErrorMessage>{error}</ErrorMessage>
    </div>
  );
}
