// A meeting's analytics: who spoke how much and how fast, overlaps and interruptions,
// questions, decisions and action items, balance and efficiency; live talk time while it runs.

import { Link, useParams } from "react-router";

import { BarChart } from "../analytics/charts";
import { LiveTalkTime, useMeetingAnalytics } from "../analytics/LiveTalkTime";
import { formatDuration, formatNumber, formatPercent } from "../analytics/shape";
import type { MeetingAnalytics, MeetingFigures, SpeakerFigures } from "../api/types";
import { getMeeting } from "../api/vori";
import { ErrorMessage } from "../components/Notice";
import { useLoad, usePageTitle } from "../hooks";

export function MeetingAnalyticsPage() {
  const { meetingId = "" } = useParams();
  const meeting = useLoad(() => getMeeting(meetingId), [meetingId]);
  const running = !!meeting.data && !meeting.data.ended_at;
  const analytics = useMeetingAnalytics(meeting.data ? meetingId : null, running);
  const title = meeting.data ? `Analytics of ${meeting.data.title}` : "Meeting analytics";
  const heading = usePageTitle(title);
  const data = analytics.data;

  return (
    <div className="page page-narrow analytics-page">
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {meeting.data && (
        <p className="meta">
          {meeting.data.created_at && `${new Date(meeting.data.created_at).toLocaleString()} · `}
          {meeting.data.ended_at ? "ended" : "still running"} · <Link to={`/meetings/${meetingId}`}>Meeting room</Link>
          {" · "}
          <Link to={`/meetings/${meetingId}/summary`}>Summary</Link>
          {meeting.data.board_id && (
            <>
              {" · "}
              <Link to={`/boards/${meeting.data.board_id}/analytics`}>Board analytics</Link>
            </>
          )}
        </p>
      )}
      <ErrorMessage>{meeting.error ?? (data ? null : analytics.error)}</ErrorMessage>
      {!meeting.error && !data && !analytics.error && <p role="status">Loading the analytics…</p>}
      {data && <Status analytics={data} />}
      {data && (data.live.speakers.length > 0 || data.live.active) && (
        <section className="panel" aria-labelledby="live-heading">
          <h2 id="live-heading">{data.live.active ? "Talk time so far" : "Talk time (live count)"}</h2>
          <LiveTalkTime live={data.live} headingId="live-heading" empty="No speech counted yet. Talk time appears here while people speak." />
        </section>
      )}
      {data?.figures && <Figures figures={data.figures} />}
      {data && data.speakers.length > 0 && <SpeakerCharts speakers={data.speakers} />}
    </div>
  );
}

function Status({ analytics }: { analytics: MeetingAnalytics }) {
  const at = analytics.computed_at ? new Date(analytics.computed_at).toLocaleString() : null;
  if (analytics.status === "pending") {
    return (
      <p className="notice notice-info" role="status">
        Analysis pending: this meeting has not been analysed yet. Its figures appear after the next analytics run.
      </p>
    );
  }
  if (analytics.status === "partial") {
    return (
      <p className="notice notice-info" role="status">
        Analysed at {at} while the meeting was still running; the next analytics run covers all of it.
      </p>
    );
  }
  return <p className="meta">Analysed at {at}.</p>;
}

function Figures({ figures }: { figures: MeetingFigures }) {
  const stats: [string, string, string?][] = [
    ["Duration", formatDuration(figures.duration_s)],
    ["Speech", formatDuration(figures.speech_s), `${formatPercent(figures.silence_share)} silence`],
    ["Overlapping speech", formatDuration(figures.overlap_s)],
    ["Interruptions", String(figures.interruptions)],
    ["Questions", String(figures.questions)],
    ["Decisions", String(figures.decisions)],
    ["Action items", String(figures.action_items)],
    ["Speakers", String(figures.speakers), `${formatNumber(figures.words, 0)} words`],
    ["Balance (Gini)", formatNumber(figures.gini, 2), "0 is perfectly even, 1 one voice"],
    ["Efficiency", `${formatNumber(figures.efficiency, 0)} / 100`, "outcomes, balance, use of time, flow"],
  ];
  return (
    <section className="panel" aria-labelledby="figures-heading">
      <h2 id="figures-heading">The meeting in figures</h2>
      <dl className="stats">
        {stats.map(([name, value, note]) => (
          <div key={name} className="stat">
            <dt>{name}</dt>
            <dd>
              <span className="stat-value">{value}</span>
              {note && <span className="meta stat-note">{note}</span>}
            </dd>
          </div>
        ))}
      </dl>
      <p className="meta">
        The efficiency score rewards decisions and action items (35 points), an even share of the talk (25), time used
        for speech rather than silence (20) and a flow with few interruptions and little overlapping speech (20).
      </p>
    </section>
  );
}

function SpeakerCharts({ speakers }: { speakers: SpeakerFigures[] }) {
  const names = speakers.map((s) => s.speaker);
  const top = speakers[0]!;
  const fastest = [...speakers].sort((a, b) => b.wpm - a.wpm)[0]!;
  const interrupter = [...speakers].sort((a, b) => b.interruptions_made - a.interruptions_made)[0]!;
  const percent = (value: number) => formatPercent(value);
  return (
    <section className="panel" aria-labelledby="speakers-heading">
      <h2 id="speakers-heading">Speakers</h2>
      <BarChart
        title="Share of talk time"
        summary={`${top.speaker} spoke most, ${formatPercent(top.talk_share)} of the talk time.`}
        labels={names}
        labelHeading="Speaker"
        series={[{ name: "Talk time", values: speakers.map((s) => s.talk_share) }]}
        format={percent}
        horizontal
        max={1}
      />
      <BarChart
        title="Words per minute"
        summary={`${fastest.speaker} spoke fastest, ${Math.round(fastest.wpm)} words per minute.`}
        description="Over each person's own talk time."
        labels={names}
        labelHeading="Speaker"
        series={[{ name: "Words per minute", values: speakers.map((s) => s.wpm) }]}
        format={(value) => formatNumber(value, 0)}
        horizontal
      />
      <BarChart
        title="Interruptions"
        summary={`${interrupter.speaker} interrupted most often, ${interrupter.interruptions_made} times.`}
        description="Starting to speak while someone else is speaking, and being cut off."
        labels={names}
        labelHeading="Speaker"
        series={[
          { name: "Interrupted others", values: speakers.map((s) => s.interruptions_made) },
          { name: "Was interrupted", values: speakers.map((s) => s.interrupted) },
        ]}
        format={(value) => formatNumber(value, 0)}
        horizontal
        whole
      />
      <h3 id="speaker-table-heading">Every figure per speaker</h3>
      <div className="table-scroll" role="region" aria-labelledby="speaker-table-heading" tabIndex={0}>
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Speaker</th>
              <th scope="col">Talk time</th>
              <th scope="col">Share</th>
              <th scope="col">Words</th>
              <th scope="col">Words per minute</th>
              <th scope="col">Turns</th>
              <th scope="col">Longest monologue</th>
              <th scope="col">Overlap</th>
              <th scope="col">Interrupted others</th>
              <th scope="col">Was interrupted</th>
              <th scope="col">Questions</th>
            </tr>
          </thead>
          <tbody>
            {speakers.map((s) => (
              <tr key={s.participant_id}>
                <th scope="row">{s.speaker}</th>
                <td>{formatDuration(s.talk_s)}</td>
                <td>{formatPercent(s.talk_share)}</td>
                <td>{formatNumber(s.words, 0)}</td>
                <td>{formatNumber(s.wpm, 0)}</td>
                <td>{s.turns}</td>
                <td>{formatDuration(s.longest_monologue_s)}</td>
                <td>{formatDuration(s.overlap_s)}</td>
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
