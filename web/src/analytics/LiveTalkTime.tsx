// The live talk-time bars of a running meeting, and the hook that polls the meeting's
// analytics for them. Plain HTML bars (no chart library), so the meeting room stays light.

import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

import { errorText } from "../api/client";
import type { LiveTotals, MeetingAnalytics } from "../api/types";
import { meetingAnalytics } from "../api/vori";
import { useFormat } from "../i18n/format";
import { liveBars } from "./shape";

/** The live job writes every ~2 s; a hidden tab asks five times less often. */
export const LIVE_POLL_MS = 3000;

export interface MeetingAnalyticsState {
  data: MeetingAnalytics | null;
  error: string | null;
}

/** The meeting's analytics, fetched once, and again every `everyMs` while `poll` is true
 * and the meeting runs. */
export function useMeetingAnalytics(meetingId: string | null, poll: boolean, everyMs = LIVE_POLL_MS): MeetingAnalyticsState {
  const [state, setState] = useState<MeetingAnalyticsState>({ data: null, error: null });
  useEffect(() => {
    if (!meetingId) return;
    let cancelled = false;
    let timer: number | undefined;
    const controller = new AbortController();
    let running = poll;
    async function tick() {
      try {
        const data = await meetingAnalytics(meetingId!, controller.signal);
        if (cancelled) return;
        setState({ data, error: null });
        running = running && data.live.active; // an ended meeting's totals no longer change
      } catch (reason) {
        if (cancelled) return;
        // Keep the last figures on screen; the next poll retries.
        setState((current) => ({ ...current, error: errorText(reason) }));
      }
      if (running) {
        timer = window.setTimeout(tick, document.visibilityState === "visible" ? everyMs : everyMs * 5);
      }
    }
    void tick();
    return () => {
      cancelled = true;
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [meetingId, poll, everyMs]);
  return state;
}

interface Props {
  live: LiveTotals | null | undefined;
  headingId: string;
  /** Shown when nobody's speech has been counted yet. */
  empty?: string;
}

/** One bar per person: name, a bar of their share of the talk time so far, and the figures. */
export function LiveTalkTime({ live, headingId, empty }: Props) {
  const { t } = useTranslation();
  const format = useFormat();
  const bars = liveBars(live, format.locale, (rate) => t("analytics.wpmShort", { rate }));
  if (bars.length === 0) return <p className="meta">{empty ?? t("recording.noSpeech")}</p>;
  return (
    <>
      <ul className="talk-bars" aria-labelledby={headingId}>
        {bars.map((bar) => (
          <li key={bar.id}>
            <span className="talk-name">{bar.name}</span>
            <span className="talk-track" aria-hidden="true">
              <span className="talk-fill" style={{ width: `${bar.percent}%` }} />
            </span>
            <span className="talk-value">{bar.label}</span>
          </li>
        ))}
      </ul>
      {live?.updated_at && (
        <p className="meta">
          {live.active ? t("recording.liveUpdated") : t("recording.finalCount")}
          <time dateTime={live.updated_at}>{format.time(live.updated_at)}</time>
        </p>
      )}
    </>
  );
}
