// Download the transcript (txt, srt, vtt, md) and, when asked, the minutes.

import { useState } from "react";
import { useTranslation } from "react-i18next";

import { errorText } from "../api/client";
import { type ExportFormat, exportTranscript, summaryMarkdown } from "../api/vori";
import { EXPORT_TYPES, safeFilename, saveText } from "./download";
import { ErrorMessage } from "./Notice";

// A null label is the plain-text format, named in the interface language.
const FORMATS: { format: ExportFormat; label: string | null }[] = [
  { format: "txt", label: null },
  { format: "srt", label: "SubRip (srt)" },
  { format: "vtt", label: "WebVTT (vtt)" },
  { format: "md", label: "Markdown" },
];

export function Exports({ meetingId, title, minutes = false }: { meetingId: string; title: string; minutes?: boolean }) {
  const { t } = useTranslation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function download(kind: ExportFormat | "minutes") {
    setError(null);
    setBusy(kind);
    try {
      if (kind === "minutes") {
        saveText(await summaryMarkdown(meetingId), `${safeFilename(title)}-${t("share.minutesFile")}.md`, EXPORT_TYPES.md);
      } else {
        saveText(await exportTranscript(meetingId, kind), `${safeFilename(title)}.${kind}`, EXPORT_TYPES[kind]);
      }
    } catch (reason) {
      setError(t("share.downloadFailed", { reason: errorText(reason) }));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="exports" role="group" aria-label={t("share.download")}>
      <span className="meta">{t("share.downloadTranscript")}</span>
      {FORMATS.map(({ format, label }) => (
        <button key={format} type="button" className="button-small" onClick={() => void download(format)} disabled={busy !== null}>
          {label ?? t("share.text")}
        </button>
      ))}
      {minutes && (
        <button type="button" className="button-small" onClick={() => void download("minutes")} disabled={busy !== null}>
          {t("share.minutes")}
        </button>
      )}
      <ErrorMessage>{error}</ErrorMessage>
    </div>
  );
}
