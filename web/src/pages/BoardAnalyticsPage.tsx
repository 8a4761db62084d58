// A board's analytics over a period: meeting hours, the flow of action items and time to
// done, each person's participation over time, recurring topics and keyword trends.

import { Link, useParams, useSearchParams } from "react-router";

import { BarChart, LineChart } from "../analytics/charts";
import {
  SINCE_CHOICES,
  actionItemGrid,
  boardTotals,
  boardWeekRange,
  fillWeeks,
  formatDuration,
  formatNumber,
  formatPercent,
  keywordTrends,
  participationGrid,
  sinceParam,
  topicLabel,
  weekLabel,
} from "../analytics/shape";
import type { BoardAnalytics } from "../api/types";
import { boardAnalytics, getBoard } from "../api/vori";
import { ErrorMessage } from "../components/Notice";
import { useLoad, usePageTitle } from "../hooks";

export function BoardAnalyticsPage() {
  const { boardId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const since = sinceParam(params.get("since"));
  const choice = since || "all";
  const board = useLoad(() => getBoard(boardId), [boardId]);
  const analytics = useLoad(() => boardAnalytics(boardId, since), [boardId, since]);
  const title = board.data ? `Analytics of ${board.data.name}` : "Board analytics";
  const heading = usePageTitle(title);
  const data = analytics.data;

  return (
    <div className="page page-narrow analytics-page">
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      <p className="meta">
        <Link to={`/boards/${boardId}`}>Open the board</Link>
        {data?.computed_at && ` · analysed at ${new Date(data.computed_at).toLocaleString()}`}
      </p>
      <div className="panel-head analytics-controls">
        <label htmlFor="analytics-since">Period</label>
        <select id="analytics-since" value={choice} onChange={(event) => setParams({ since: event.target.value })}>
          {SINCE_CHOICES.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
      </div>
      {/* The board's name comes from kanban; the figures do not need it. */}
      <ErrorMessage>{analytics.error}</ErrorMessage>
      {analytics.loading && !data && <p role="status">Loading the analytics…</p>}
      {data?.status === "pending" && (
        <p className="notice notice-info" role="status">
          Analysis pending: this board has not been analysed yet. Its figures appear after the next analytics run.
        </p>
      )}
      {data?.status === "ready" && data.weeks.length === 0 && data.people.length === 0 && (
        <p className="notice notice-info" role="status">
          No analysed meetings in this period. Choose a longer period to see earlier weeks.
        </p>
      )}
      {data && data.status === "ready" && <BoardFigures data={data} />}
    </div>
  );
}

function BoardFigures({ data }: { data: BoardAnalytics }) {
  // Every week of the period gets its bar or point: a week without figures had no meetings.
  const range = boardWeekRange([...data.weeks, ...data.people, ...data.keywords], data.since, new Date().toISOString().slice(0, 10));
  const weeks = fillWeeks(data.weeks, range);
  const labels = weeks.map((w) => weekLabel(w.week));
  const totals = boardTotals(weeks);
  const flow = actionItemGrid(weeks);
  const people = participationGrid(data.people, range);
  const trends = keywordTrends(data.keywords, 5, range);
  const busiest = [...weeks].sort((a, b) => b.meeting_hours - a.meeting_hours)[0];
  const lastDone = [...weeks].reverse().find((w) => w.median_time_to_done_h !== null);
  const hours = (value: number) => `${formatNumber(value, 1)} h`;
  const count = (value: number) => formatNumber(value, 0);

  return (
    <>
      {weeks.length > 0 && (
        <section className="panel" aria-labelledby="period-heading">
          <h2 id="period-heading">The period in figures</h2>
          <dl className="stats">
            <Stat name="Meetings" value={count(totals.meetings)} />
            <Stat name="Meeting time" value={hours(totals.hours)} />
            <Stat name="Action items created" value={count(totals.created)} />
            <Stat name="Action items completed" value={count(totals.completed)} />
            <Stat name="Overdue now" value={count(totals.overdueNow)} note="open past their due date this week" />
          </dl>
        </section>
      )}
      {weeks.length > 0 && (
        <section className="panel" aria-labelledby="weeks-heading">
          <h2 id="weeks-heading">Week by week</h2>
          <BarChart
            title="Meeting hours per week"
            summary={busiest ? `The busiest week, ${weekLabel(busiest.week)}, had ${hours(busiest.meeting_hours)} of meetings.` : ""}
            labels={labels}
            labelHeading="Week of"
            series={[{ name: "Meeting hours", values: weeks.map((w) => w.meeting_hours) }]}
            format={hours}
          />
          <BarChart
            title="Action items per week"
            summary={`${totals.created} created and ${totals.completed} completed in the period; ${totals.overdueNow} overdue in the latest week.`}
            description="Created and completed that week; overdue: open past their due date during the week."
            labels={flow.weeks.map(weekLabel)}
            labelHeading="Week of"
            series={flow.series}
            format={count}
            whole
          />
          <LineChart
            title="Median time to done"
            summary={lastDone ? `In the week of ${weekLabel(lastDone.week)} the median card took ${hours(lastDone.median_time_to_done_h ?? 0)} from creation to done.` : "No card was completed in the period."}
            description="Hours from a card's creation to its move to Done, for the cards completed that week."
            labels={labels}
            labelHeading="Week of"
            series={[{ name: "Median hours to done", values: weeks.map((w) => w.median_time_to_done_h) }]}
            format={hours}
          />
        </section>
      )}
      {people.series.length > 0 && (
        <section className="panel" aria-labelledby="people-heading">
          <h2 id="people-heading">Participation</h2>
          <LineChart
            title="Share of talk time per person"
            summary={`${people.series.length} people over ${people.weeks.length} weeks; a gap is a week without their meetings.`}
            description="Each person's mean share of the talk time in the week's meetings."
            labels={people.weeks.map(weekLabel)}
            labelHeading="Week of"
            series={people.series}
            format={formatPercent}
          />
        </section>
      )}
      {(data.topics.length > 0 || trends.series.length > 0) && (
        <section className="panel" aria-labelledby="topics-heading">
          <h2 id="topics-heading">Topics and keywords</h2>
          {data.topics.length > 0 && (
            <>
              <BarChart
                title="Recurring topics"
                summary={`The largest topic (${topicLabel(data.topics[0]!)}) covers ${formatPercent(data.topics[0]!.share)} of the board's meetings.`}
                description="Found across all of the board's meetings; each named by its strongest terms."
                labels={data.topics.map((t) => topicLabel(t, 3))}
                labelHeading="Topic"
                series={[{ name: "Share", values: data.topics.map((t) => t.share) }]}
                format={formatPercent}
                horizontal
              />
              <ol className="topic-list">
                {data.topics.map((topic) => (
                  <li key={topic.topic}>
                    <strong>{topicLabel(topic, 6)}</strong>
                    <span className="meta">
                      {" "}
                      · leads in {topic.meetings} {topic.meetings === 1 ? "meeting" : "meetings"}
                    </span>
                  </li>
                ))}
              </ol>
            </>
          )}
          {trends.series.length > 0 && (
            <LineChart
              title="Keyword trends"
              summary={`The strongest keywords of the period: ${trends.series.map((s) => s.name).join(", ")}.`}
              description="Each keyword's TF-IDF weight in the week's meetings."
              labels={trends.weeks.map(weekLabel)}
              labelHeading="Week of"
              series={trends.series}
              format={(value) => formatNumber(value, 2)}
            />
          )}
        </section>
      )}
      {data.meetings.length > 0 && (
        <section className="panel" aria-labelledby="meetings-heading">
          <h2 id="meetings-heading">Your meetings on this board</h2>
          <div className="table-scroll" role="region" aria-labelledby="meetings-heading" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Meeting</th>
                  <th scope="col">Started</th>
                  <th scope="col">Length</th>
                  <th scope="col">Speakers</th>
                  <th scope="col">Balance (Gini)</th>
                  <th scope="col">Efficiency</th>
                </tr>
              </thead>
              <tbody>
                {data.meetings.map((m) => (
                  <tr key={m.meeting_id}>
                    <th scope="row">
                      <Link to={`/meetings/${m.meeting_id}/analytics`}>{m.title}</Link>
                    </th>
                    <td>{new Date(m.started_at).toLocaleDateString()}</td>
                    <td>{formatDuration(m.duration_s)}</td>
                    <td>{m.speakers}</td>
                    <td>{formatNumber(m.gini, 2)}</td>
                    <td>{formatNumber(m.efficiency, 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </>
  );
}

function Stat({ name, value, note }: { name: string; value: string; note?: string }) {
  return (
    <div className="stat">
      <dt>{name}</dt>
      <dd>
        <span className="stat-value">{value}</span>
        {note && <span className="meta stat-note">{note}</span>}
      </dd>
    </div>
  );
}
