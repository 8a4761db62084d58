// Tells participants that their transcript is behind the audio, and by how much, while the
// transcriber is overloaded (docs/overload.md). Nothing is lost: the text follows later.

import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

import type { LiveEvent } from "../api/types";
import { i18next } from "../i18n";

/** A `transcript.lag` event: how far behind the meeting's transcript is (0: caught up). */
export interface TranscriptLag {
  lagS: number;
  streamsBehind: number;
}

// Reports come about every second while a meeting lags; a banner older than this is stale
// (the transcriber that sent it stopped, or the "caught up" report was missed).
const STALE_MS = 5000;

export function lagOf(event: LiveEvent): TranscriptLag | null {
  if (event.type !== "transcript.lag") return null;
  const lag = Number(event.lag_s);
  if (!Number.isFinite(lag) || lag <= 0 || event.lagging === false) return null;
  const behind = Number(event.streams_behind);
  return { lagS: lag, streamsBehind: Number.isFinite(behind) ? behind : 0 };
}

export function lagText(lag: TranscriptLag, t = i18next.t): string {
  return t("share.lag", { seconds: Math.max(1, Math.round(lag.lagS)) });
}

/** The current lag of a meeting's transcript, and the handler for its live events. */
export function useTranscriptLag(): [TranscriptLag | null, (event: LiveEvent) => void] {
  const [lag, setLag] = useState<TranscriptLag | null>(null);
  const [seenAt, setSeenAt] = useState(0);
  const onEvent = useCallback((event: LiveEvent) => {
    if (event.type !== "transcript.lag") return;
    setLag(lagOf(event));
    setSeenAt(Date.now());
  }, []);
  useEffect(() => {
    if (!lag) return;
    const timer = window.setTimeout(() => setLag(null), Math.max(0, seenAt + STALE_MS - Date.now()));
    return () => window.clearTimeout(timer);
  }, [lag, seenAt]);
  return [lag, onEvent];
}

export function LagBanner({ lag }: { lag: TranscriptLag | null }) {
  const { t } = useTranslation();
  if (!lag) return null;
  return (
    <p className="banner banner-warning" role="status" data-testid="transcript-lag" data-lag-s={lag.lagS}>
      {lagText(lag, t)}
    </p>
  );
}
