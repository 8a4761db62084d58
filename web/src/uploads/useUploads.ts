// A meeting's uploaded recordings for the meeting page: the list, one upload at a time from
// this tab with its bytes counted, and the live transcription reports applied.

import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";

import { errorText } from "../api/client";
import type { LiveEvent } from "../api/types";
import { type UploadView, applyRecordingEvent, fromServer, withUpload } from "./state";
import { type UploadOptions, createUpload, listUploads, sendParts } from "./upload";

export interface Uploads {
  uploads: UploadView[];
  /** The upload this tab is sending, if any. */
  sending: string | null;
  error: string | null;
  upload: (file: File, options: UploadOptions) => Promise<void>;
  onEvent: (event: LiveEvent) => void;
}

export function useUploads(meetingId: string | null): Uploads {
  const { t } = useTranslation();
  const [uploads, setUploads] = useState<UploadView[]>([]);
  const [sending, setSending] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const list = useRef(uploads);
  list.current = uploads;

  const reload = useCallback(() => {
    if (!meetingId) return;
    listUploads(meetingId).then(
      (found) => setUploads((current) => found.map(fromServer).reduce(withUpload, current)),
      () => undefined, // the list is extra: the page works without it
    );
  }, [meetingId]);
  useEffect(reload, [reload]);

  const onEvent = useCallback(
    (event: LiveEvent) => {
      const { list: next, known } = applyRecordingEvent(list.current, event);
      if (!known) reload();
      else if (next !== list.current) setUploads(next);
    },
    [reload],
  );

  const upload = useCallback(
    async (file: File, options: UploadOptions) => {
      if (!meetingId || sending) return;
      setError(null);
      if (file.size === 0) {
        setError(t("upload.empty", { name: file.name }));
        return;
      }
      try {
        const created = await createUpload(meetingId, file, options);
        const view = fromServer(created);
        setSending(view.uploadId);
        setUploads((current) => withUpload(current, view));
        await sendParts(meetingId, created, file, (offset) =>
          setUploads((current) => withUpload(current, { ...view, sent: offset })),
        );
        reload();
      } catch (reason) {
        setError(t("upload.failed", { name: file.name, reason: errorText(reason) }));
        reload();
      } finally {
        setSending(null);
      }
    },
    [meetingId, sending, reload, t],
  );

  return { uploads, sending, error, upload, onEvent };
}
