// The meeting's recording in the side panel: how much is kept and for how long, and for
// the owner a choice of how long (PUT .../recordings/retention; the archiver applies it).

import type { TFunction } from "i18next";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { apiRequest, errorText } from "../api/client";
import { decodeClaims, getToken } from "../api/session";
import { ErrorMessage } from "../components/Notice";
import { i18next } from "../i18n";
import { formatTime } from "../live/transcript";
import type { Recordings } from "./recordings";
import type { Playback } from "./usePlayback";

const CHOICES = [0, 7, 30, 90, 365];
const DEFAULT = "default";

export function keptFor(days: number, t: TFunction = i18next.t): string {
  if (days === 0) return t("recording.keptForever");
  return t("recording.kept", { count: days });
}

interface Props {
  meetingId: string;
  ownerId: string;
  playback: Playback;
}

export function RecordingRetention({ meetingId, ownerId, playback }: Props) {
  const { t } = useTranslation();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { recordings } = playback;
  if (!recordings) return null;
  const token = getToken();
  const isOwner = !!token && decodeClaims(token)?.sub === ownerId;
  const recorded = recordings.streams.reduce((total, stream) => total + stream.duration, 0);
  const own = recordings.meeting_retention_days;
  const choices = own === null || CHOICES.includes(own) ? CHOICES : [...CHOICES, own].sort((a, b) => a - b);

  async function choose(value: string) {
    setSaving(true);
    setError(null);
    try {
      await apiRequest<Recordings>(`/api/v1/meetings/${encodeURIComponent(meetingId)}/recordings/retention`, {
        method: "PUT",
        body: { days: value === DEFAULT ? null : Number(value) },
      });
      await playback.reload();
    } catch (failure) {
      setError(errorText(failure));
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="panel" aria-labelledby="recording-heading">
      <h2 id="recording-heading">{t("recording.heading")}</h2>
      <p className="meta" data-testid="recording-summary">
        {recordings.streams.length === 0
          ? t("recording.none")
          : t("recording.recorded", { length: formatTime(recorded), count: recordings.streams.length })}
        {" · "}
        {keptFor(recordings.retention_days, t)}
      </p>
      {isOwner && (
        <label className="device-picker">
          {t("recording.keep")}
          <select value={own === null ? DEFAULT : String(own)} disabled={saving} onChange={(e) => void choose(e.target.value)}>
            <option value={DEFAULT}>{t("recording.serverDefault")}</option>
            {choices.map((days) => (
              <option key={days} value={String(days)}>
                {days === 0 ? t("recording.untilDeleted") : t("recording.days", { count: days })}
              </option>
            ))}
          </select>
        </label>
      )}
      <ErrorMessage>{error}</ErrorMessage>
    </section>
  );
}
