// A meeting's analytics: who spoke how much and how fast, overlaps and interruptions,
// questions, decisions and action items, balance and efficiency; live talk time while it runs.

import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";

import { BarChart } from "../analytics/charts";
import { LiveTalkTime, useMeetingAnalytics } from "../analytics/LiveTalkTime";
import { Stat, useFigureFormat } from "../analytics/figures";
import { formatPercent } from "../analytics/shape";
import type { MeetingAnalytics, MeetingFigures, SpeakerFigures } from "../api/types";
import { getMeeting } from "../api/vori";
import { ErrorMessage } from "../components/Notice";
import { useLoad, usePageTitle } from "../hooks";
import { useFormat } from "../i18n/format";

export function MeetingAnalyticsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { meetingId = "" } = useParams();
  const meeting = useLoad(() => getMeeting(meetingId), [meetingId]);
  const running = !!meeting.data && !meeting.data.ended_at;
  const analytics = useMeetingAnalytics(meeting.data ? meetingId : null, running);
  const title = meeting.data ? t("analytics.meetingTitle", { title: meeting.data.title }) : t("analytics.meetingAnalytics");
  const heading = usePageTitle(title);
  const data = analytics.data;

  return (
    <div className="page page-narrow analytics-page">
      <h1 ref={heading} tabIndex={-1} className="meeting-heading">
        {title}
      </h1>
      {meeting.data && (
        <p className="meta">
          {meeting.data.created_at && (
            <>
              <time dateTime={meeting.data.created_at}>{format.dateTime(meeting.data.created_at)}</time>
              {" · "}
            </>
          )}
          {meeting.data.ended_at ? t("analytics.ended") : t("analytics.running")} ·{" "}
          <Link to={`/meetings/${meetingId}`}>{t("analytics.room")}</Link>
          {" · "}
          <Link to={`/meetings/${meetingId}/summary`}>{t("analytics.summary")}</Link>
          {meeting.data.board_id && (
            <>
              {" · "}
              <Link to={`/boards/${meeting.data.board_id}/analytics`}>{t("analytics.boardAnalytics")}</Link>
            </>
          )}
        </p>
      )}
      <ErrorMessage>{meeting.error ?? (data ? null : analytics.error)}</ErrorMessage>
      {!meeting.error && !data && !analytics.error && <p role="status">{t("analytics.loading")}</p>}
      {data && <Status analytics={data} />}
      {data && (data.live.speakers.length > 0 || data.live.active) && (
        <section className="panel" aria-labelledby="live-heading">
          <h2 id="live-heading">{data.live.active ? t("analytics.talkSoFar") : t("analytics.talkLive")}</h2>
          <LiveTalkTime live={data.live} headingId="live-heading" empty={t("analytics.noSpeech")} />
        </section>
      )}
      {data?.figures && <Figures figures={data.figures} />}
      {data && data.speakers.length > 0 && <SpeakerCharts speakers={data.speakers} />}
    </div>
  );
}

function Status({ analytics }: { analytics: MeetingAnalytics }) {
  const { t } = useTranslation();
  const format = useFormat();
  const at = analytics.computed_at ? format.dateTime(analytics.computed_at) : null;
  if (analytics.status === "pending") {
    return (
      <p className="notice notice-info" role="status">
        {t("analytics.pending")}
      </p>
    );
  }
  if (analytics.status === "partial") {
    return (
      <p className="notice notice-info" role="status">
        {t("analytics.partial", { at })}
      </p>
    );
  }
  return <p className="meta">{t("analytics.analysedAt", { at })}</p>;
}

function Figures({ figures }: { figures: MeetingFigures }) {
  const { t } = useTranslation();
  const { duration, number } = useFigureFormat();
  const stats: [string, string, string?][] = [
    [t("analytics.duration"), duration(figures.duration_s)],
    [t("analytics.speech"), duration(figures.speech_s), t("analytics.silence", { share: formatPercent(figures.silence_share) })],
    [t("analytics.overlap"), duration(figures.overlap_s)],
    [t("analytics.interruptions"), number(figures.interruptions, 0)],
    [t("analytics.questions"), number(figures.questions, 0)],
    [t("analytics.decisions"), number(figures.decisions, 0)],
    [t("analytics.actionItems"), number(figures.action_items, 0)],
    [t("analytics.speakers"), number(figures.speakers, 0), t("analytics.words", { words: number(figures.words, 0) })],
    [t("analytics.gini"), number(figures.gini, 2), t("analytics.giniNote")],
    [t("analytics.efficiency"), `${number(figures.efficiency, 0)} / 100`, t("analytics.efficiencyNote")],
  ];
  return (
    <section className="panel" aria-labelledby="figures-heading">
      <h2 id="figures-heading">{t("analytics.figures")}</h2>
      <dl className="stats">
        {stats.map(([name, value, note]) => (
          <Stat key={name} name={name} value={value} note={note} />
        ))}
      </dl>
      <p className="meta">{t("analytics.efficiencyHelp")}</p>
    </section>
  );
}

function SpeakerCharts({ speakers }: { speakers: SpeakerFigures[] }) {
  const { t } = useTranslation();
  const { duration, number } = useFigureFormat();
  const names = speakers.map((s) => s.speaker);
  const top = speakers[0]!;
  const fastest = [...speakers].sort((a, b) => b.wpm - a.wpm)[0]!;
  const interrupter = [...speakers].sort((a, b) => b.interruptions_made - a.interruptions_made)[0]!;
  const percent = (value: number) => formatPercent(value);
  return (
    <section className="panel" aria-labelledby="speakers-heading">
      <h2 id="speakers-heading">{t("analytics.speakers")}</h2>
      <BarChart
        title={t("analytics.shareOfTalk")}
        summary={t("analytics.spokeMost", { name: top.speaker, share: formatPercent(top.talk_share) })}
        labels={names}
        labelHeading={t("analytics.speaker")}
        series={[{ name: t("analytics.talkTime"), values: speakers.map((s) => s.talk_share) }]}
        format={percent}
        horizontal
        max={1}
      />
      <BarChart
        title={t("analytics.wpm")}
        summary={t("analytics.spokeFastest", { name: fastest.speaker, rate: number(fastest.wpm, 0) })}
        description={t("analytics.wpmHelp")}
        labels={names}
        labelHeading={t("analytics.speaker")}
        series={[{ name: t("analytics.wpm"), values: speakers.map((s) => s.wpm) }]}
        format={(value) => number(value, 0)}
        horizontal
      />
      <BarChart
        title={t("analytics.interruptions")}
        summary={t("analytics.interruptedMost", { name: interrupter.speaker, count: interrupter.interruptions_made })}
        description={t("analytics.interruptionsHelp")}
        labels={names}
        labelHeading={t("analytics.speaker")}
        series={[
          { name: t("analytics.interruptedOthers"), values: speakers.map((s) => s.interruptions_made) },
          { name: t("analytics.wasInterrupted"), values: speakers.map((s) => s.interrupted) },
        ]}
        format={(value) => number(value, 0)}
        horizontal
        whole
      />
      <h3 id="speaker-table-heading">{t("analytics.perSpeaker")}</h3>
      <div className="table-scroll" role="region" aria-labelledby="speaker-table-heading" tabIndex={0}>
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">{t("analytics.speaker")}</th>
              <th scope="col">{t("analytics.talkTime")}</th>
              <th scope="col">{t("analytics.share")}</th>
              <th scope="col">{t("analytics.wordsCol")}</th>
              <th scope="col">{t("analytics.wpm")}</th>
              <th scope="col">{t("analytics.turns")}</th>
              <th scope="col">{t("analytics.monologue")}</th>
              <th scope="col">{t("analytics.overlapCol")}</th>
              <th scope="col">{t("analytics.interruptedOthers")}</th>
              <th scope="col">{t("analytics.wasInterrupted")}</th>
              <th scope="col">{t("analytics.questions")}</th>
            </tr>
          </thead>
          <tbody>
            {speakers.map((s) => (
              <tr key={s.participant_id}>
                <th scope="row">{s.speaker}</th>
                <td>{duration(s.talk_s)}</td>
                <td>{formatPercent(s.talk_share)}</td>
                <td>{number(s.words, 0)}</td>
                <td>{number(s.wpm, 0)}</td>
                <td>{s.turns}</td>
                <td>{duration(s.longest_monologue_s)}</td>
                <td>{duration(s.overlap_s)}</td>
                <td>{s.interruptions_made}</td>
                <td>{s.interrupted}</td>
                <td>{s.questions}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
