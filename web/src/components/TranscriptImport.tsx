// Bring a transcript file (VTT, SRT or vori's JSON export) into a meeting: the owner only.

import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";

import { errorText } from "../api/client";
import { type TranscriptImport as Result, importTranscript } from "../api/search";
import { decodeClaims, getToken } from "../api/session";
import { ErrorMessage } from "./Notice";

interface Props {
  meetingId: string;
  /** The meeting's owner: only they may import; nobody else sees the control. */
  ownerId: string;
  onImported: () => void;
}

export function TranscriptImport({ meetingId, ownerId, onImported }: Props) {
  const { t } = useTranslation();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<Result | null>(null);

  const token = getToken();
  if (!token || decodeClaims(token)?.sub !== ownerId) return null;

  async function send(file: File) {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      setDone(await importTranscript(meetingId, file));
      onImported();
    } catch (reason) {
      setError(t("import.failed", { reason: errorText(reason) }));
    } finally {
      setBusy(false);
      if (input.current) input.current.value = "";
    }
  }

  return (
    <div className="exports" role="group" aria-label={t("import.group")}>
      <label className="meta">
        {t("import.label")}{" "}
        <input
          ref={input}
          type="file"
          accept=".vtt,.srt,.json,text/vtt,application/x-subrip,application/json"
          disabled={busy}
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) void send(file);
          }}
        />
      </label>
      {busy && <span role="status">{t("import.importing")}</span>}
      {done && (
        <p className="meta" role="status">
          {t("import.done", { count: done.segments })}
          {done.speakers.length > 0 && t("import.from", { speakers: done.speakers.join(", ") })}
          {done.ended ? t("import.ended") : t("import.end")}
        </p>
      )}
      <ErrorMessage>{error}</ErrorMessage>
    </div>
  );
}
