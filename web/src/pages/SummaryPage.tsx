// A meeting's minutes: overview, decisions, action items and open questions, with exports.

import { useCallback, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";

import type { LiveEvent, Summary } from "../api/types";
import { getMeeting, normaliseSummary, summary as loadSummary } from "../api/vori";
import { Exports } from "../components/Exports";
import { MeetingOwnerActions } from "../components/MeetingAdmin";
import { MeetingNotFound, notFoundAsNull } from "../components/MeetingNotFound";
import { ErrorMessage } from "../components/Notice";
import { Retranscribe } from "../components/Retranscribe";
import { type CardLink, SummaryView } from "../components/SummaryView";
import { useLoad, usePageTitle } from "../hooks";
import { useFormat } from "../i18n/format";
import { withUpsertedCard } from "../live/cardLinks";
import { REMOVED_MESSAGE } from "../live/events";
import { useMeetingEvents } from "../live/useMeetingEvents";

export function SummaryPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { meetingId = "" } = useParams();
  const navigate = useNavigate();
  // null: no such meeting, or not one of the caller's (the server answers both with 404).
  const meeting = useLoad(() => getMeeting(meetingId).catch(notFoundAsNull), [meetingId]);
  const stored = useLoad(() => loadSummary(meetingId), [meetingId]);
  const [live, setLive] = useState<Summary | null>(null);
  const [cards, setCards] = useState<Record<string, CardLink>>({});
  const title = meeting.data ? t("pages.summaryOf", { title: meeting.data.title }) : t("pages.summary");
  const heading = usePageTitle(title);

  const onEvent = useCallback((event: LiveEvent) => {
    if (event.type === "summary.updated") {
      setLive(normaliseSummary((event.summary ?? event) as Record<string, unknown>));
    } else if (event.type === "task.upserted") {
      setCards((current) => withUpsertedCard(current, event));
    }
  }, []);
  const events = useMeetingEvents(meeting.data ? meetingId : null, onEvent);

  const summary = live ?? stored.data ?? null;
  const data = meeting.data;
  const gone = events.state === "gone";
  if (data === null || gone) {
    return <MeetingNotFound heading={heading} removed={gone && events.message === REMOVED_MESSAGE} />;
  }
  if (data === undefined) {
    // Nothing of the meeting until it is known to be one the caller may see.
    return (
      <div className="page page-narrow">
        <h1 ref={heading} tabIndex={-1} className="meeting-heading">
          {title}
        </h1>
        <ErrorMessage>{meeting.error}</ErrorMessage>
        {meeting.loading && <p role="status">{t("room.loading")}</p>}
      </div>
    );
  }
  return (
    <div className="page page-narrow">
      <h1 ref={heading} tabIndex={-1} className="meeting-heading">
        {title}
      </h1>
      <ErrorMessage>{meeting.error ?? stored.error}</ErrorMessage>
      <p className="meta">
        {data.created_at && (
          <>
            <time dateTime={data.created_at}>{format.dateTime(data.created_at)}</time>
            {" · "}
          </>
        )}
        {data.ended_at ? t("pages.ended") : t("pages.running")} · <Link to={`/meetings/${meetingId}`}>{t("pages.openRoom")}</Link>
        {" · "}
        <Link to={`/meetings/${meetingId}/analytics`}>{t("pages.analytics")}</Link>
        {data.board_id && (
          <>
            {" · "}
            <Link to={`/boards/${data.board_id}`}>{t("pages.board")}</Link>
          </>
        )}
      </p>
      <MeetingOwnerActions
        key={data.title}
        meeting={data}
        onRenamed={(renamed) => meeting.setData(renamed)}
        onDeleted={() => navigate("/", { replace: true })}
      />
      <Retranscribe meeting={data} />
      {stored.loading && !summary ? (
        <p role="status">{t("pages.loadingSummary")}</p>
      ) : (
        <section className="panel" aria-label={t("pages.minutes")}>
          <SummaryView meetingId={meetingId} summary={summary} cards={cards} boardId={data.board_id} headingLevel={2} />
        </section>
      )}
      <Exports meetingId={meetingId} title={data.title} minutes />
    </div>
  );
}
