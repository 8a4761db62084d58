// Upload a recorded meeting: drop a file anywhere on the meeting page or choose one; the
// bytes go up resumably with a progress bar, then the transcription's progress and status
// follow from the live events.

import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";

import type { UploadView } from "../uploads/state";
import type { Uploads } from "../uploads/useUploads";
import { ErrorMessage } from "./Notice";

interface Props {
  uploads: Uploads;
  /** The owner may have the meeting end once the recording is transcribed. */
  isOwner: boolean;
}

export function RecordingUploads({ uploads, isOwner }: Props) {
  const { t } = useTranslation();
  const input = useRef<HTMLInputElement>(null);
  const [end, setEnd] = useState(false);
  // Off by default: a recording of one voice (a dictation) would only be split needlessly.
  const [room, setRoom] = useState(false);
  const [dragging, setDragging] = useState(false);
  const busy = uploads.sending !== null;
  const start = useRef<(file: File) => void>(() => undefined);
  start.current = (file: File) => void uploads.upload(file, { end: isOwner && end, room });

  useEffect(() => {
    // The whole page takes a dropped file; a drag of text or links is left alone.
    const hasFiles = (event: DragEvent) => event.dataTransfer?.types.includes("Files") ?? false;
    const over = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      setDragging(true);
    };
    const leave = (event: DragEvent) => {
      if (event.relatedTarget === null) setDragging(false);
    };
    const drop = (event: DragEvent) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      setDragging(false);
      const file = event.dataTransfer?.files[0];
      if (file) start.current(file);
    };
    window.addEventListener("dragover", over);
    window.addEventListener("dragleave", leave);
    window.addEventListener("drop", drop);
    return () => {
      window.removeEventListener("dragover", over);
      window.removeEventListener("dragleave", leave);
      window.removeEventListener("drop", drop);
    };
  }, []);

  return (
    <section className="uploads" aria-labelledby="uploads-heading">
      <h2 id="uploads-heading">{t("upload.heading")}</h2>
      <p className="meta">{t("upload.hint")}</p>
      <div className="upload-controls">
        <button type="button" disabled={busy} onClick={() => input.current?.click()}>
          {t("upload.choose")}
        </button>
        <input
          ref={input}
          type="file"
          hidden
          aria-label={t("upload.choose")}
          accept="audio/*,video/*,.m4a,.mp3,.wav,.flac,.ogg,.opus,.webm,.mp4,.mkv"
          data-testid="recording-file"
          onChange={(event) => {
            const file = event.target.files?.[0];
            if (file) start.current(file);
            event.target.value = "";
          }}
        />
        <label className="meta" title={t("upload.roomHint")}>
          <input
            type="checkbox"
            checked={room}
            data-testid="upload-room"
            onChange={(event) => setRoom(event.target.checked)}
          />{" "}
          {t("upload.room")}
        </label>
        {isOwner && (
          <label className="meta">
            <input type="checkbox" checked={end} onChange={(event) => setEnd(event.target.checked)} />{" "}
            {t("upload.end")}
          </label>
        )}
      </div>
      <ErrorMessage>{uploads.error}</ErrorMessage>
      {uploads.uploads.length > 0 && (
        <ul className="upload-list">
          {uploads.uploads.map((item) => (
            <UploadRow key={item.uploadId} item={item} />
          ))}
        </ul>
      )}
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          {t("upload.drop")}
        </div>
      )}
    </section>
  );
}

function UploadRow({ item }: { item: UploadView }) {
  const { t, i18n } = useTranslation();
  const megabytes = (bytes: number) =>
    new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(bytes / 1048576);
  const receiving = item.status === "receiving";
  const share = receiving ? (item.size ? item.sent / item.size : 0) : item.progress;
  const label = receiving
    ? t("upload.sending", { sent: megabytes(item.sent), size: megabytes(item.size) })
    : t(`upload.status.${item.status}`);
  return (
    <li className="upload-row" data-status={item.status} data-upload={item.uploadId}>
      <span className="upload-name">{item.filename}</span>
      {item.status !== "failed" && (
        <progress max={1} value={share} aria-label={t("upload.progressLabel", { name: item.filename })} />
      )}
      <span className="meta" role="status">
        {label}
        {!receiving && item.status !== "failed" && item.status !== "queued" && ` ${Math.round(share * 100)}%`}
      </span>
      {item.status === "failed" && <ErrorMessage>{t("upload.transcriptionFailed", { reason: item.error ?? "" })}</ErrorMessage>}
    </li>
  );
}
