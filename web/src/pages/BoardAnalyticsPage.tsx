// A board's analytics over a period: meeting hours, the flow of action items and time to
// done, each person's participation over time, recurring topics and keyword trends.

import { useTranslation } from "react-i18next";
import { Link, useParams, useSearchParams } from "react-router";

import { BarChart, LineChart } from "../analytics/charts";
import { Stat, useFigureFormat } from "../analytics/figures";
import {
  SINCE_CHOICES,
  actionItemGrid,
  boardTotals,
  boardWeekRange,
  fillWeeks,
  formatPercent,
  keywordTrends,
  participationGrid,
  sinceParam,
  topicLabel,
  weekLabel as weekOf,
} from "../analytics/shape";
import type { BoardAnalytics } from "../api/types";
import { boardAnalytics, getBoard } from "../api/vori";
import { ErrorMessage } from "../components/Notice";
import { useLoad, usePageTitle } from "../hooks";
import { useFormat } from "../i18n/format";

export function BoardAnalyticsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { boardId = "" } = useParams();
  const [params, setParams] = useSearchParams();
  const since = sinceParam(params.get("since"));
  const choice = since || "all";
  const board = useLoad(() => getBoard(boardId), [boardId]);
  const analytics = useLoad(() => boardAnalytics(boardId, since), [boardId, since]);
  const title = board.data ? t("boardAnalytics.title", { name: board.data.name }) : t("boardAnalytics.fallback");
  const heading = usePageTitle(title);
  const data = analytics.data;

  return (
    <div className="page page-narrow analytics-page">
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      <p className="meta">
        <Link to={`/boards/${boardId}`}>{t("boardAnalytics.openBoard")}</Link>
        {data?.computed_at && t("boardAnalytics.analysedAt", { at: format.dateTime(data.computed_at) })}
      </p>
      <div className="panel-head analytics-controls">
        <label htmlFor="analytics-since">{t("boardAnalytics.period")}</label>
        <select id="analytics-since" value={choice} onChange={(event) => setParams({ since: event.target.value })}>
          {SINCE_CHOICES.map((c) => (
            <option key={c.value} value={c.value}>
              {t(`boardAnalytics.since${c.value}`, { defaultValue: c.label })}
            </option>
          ))}
        </select>
      </div>
      {/* The board's name comes from kanban; the figures do not need it. */}
      <ErrorMessage>{analytics.error}</ErrorMessage>
      {analytics.loading && !data && <p role="status">{t("boardAnalytics.loading")}</p>}
      {data?.status === "pending" && (
        <p className="notice notice-info" role="status">
          {t("boardAnalytics.pending")}
        </p>
      )}
      {data?.status === "ready" && data.weeks.length === 0 && data.people.length === 0 && (
        <p className="notice notice-info" role="status">
          {t("boardAnalytics.empty")}
        </p>
      )}
      {data && data.status === "ready" && <BoardFigures data={data} />}
    </div>
  );
}

function BoardFigures({ data }: { data: BoardAnalytics }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { locale } = format;
  const weekLabel = (week: string) => weekOf(week, locale);
  const { number: formatNumber, duration: formatDuration } = useFigureFormat();
  // Every week of the period gets its bar or point: a week without figures had no meetings.
  const range = boardWeekRange([...data.weeks, ...data.people, ...data.keywords], data.since, new Date().toISOString().slice(0, 10));
  const weeks = fillWeeks(data.weeks, range);
  const labels = weeks.map((w) => weekLabel(w.week));
  const totals = boardTotals(weeks);
  const flow = actionItemGrid(weeks, [t("boardAnalytics.seriesCreated"), t("boardAnalytics.seriesCompleted"), t("boardAnalytics.seriesOverdue")]);
  const people = participationGrid(data.people, range);
  const trends = keywordTrends(data.keywords, 5, range);
  const busiest = [...weeks].sort((a, b) => b.meeting_hours - a.meeting_hours)[0];
  const lastDone = [...weeks].reverse().find((w) => w.median_time_to_done_h !== null);
  const hours = (value: number) => t("boardAnalytics.hours", { hours: formatNumber(value, 1) });
  const count = (value: number) => formatNumber(value, 0);

  return (
    <>
      {weeks.length > 0 && (
        <section className="panel" aria-labelledby="period-heading">
          <h2 id="period-heading">{t("boardAnalytics.periodFigures")}</h2>
          <dl className="stats">
            <Stat name={t("boardAnalytics.meetings")} value={count(totals.meetings)} />
            <Stat name={t("boardAnalytics.meetingTime")} value={hours(totals.hours)} />
            <Stat name={t("boardAnalytics.created")} value={count(totals.created)} />
            <Stat name={t("boardAnalytics.completed")} value={count(totals.completed)} />
            <Stat name={t("boardAnalytics.overdueNow")} value={count(totals.overdueNow)} note={t("boardAnalytics.overdueNote")} />
          </dl>
        </section>
      )}
      {weeks.length > 0 && (
        <section className="panel" aria-labelledby="weeks-heading">
          <h2 id="weeks-heading">{t("boardAnalytics.weekByWeek")}</h2>
          <BarChart
            title={t("boardAnalytics.hoursPerWeek")}
            summary={busiest ? t("boardAnalytics.busiest", { week: weekLabel(busiest.week), hours: hours(busiest.meeting_hours) }) : ""}
            labels={labels}
            labelHeading={t("boardAnalytics.weekOf")}
            series={[{ name: t("boardAnalytics.meetingHours"), values: weeks.map((w) => w.meeting_hours) }]}
            format={hours}
          />
          <BarChart
            title={t("boardAnalytics.itemsPerWeek")}
            summary={t("boardAnalytics.itemsSummary", { created: count(totals.created), completed: count(totals.completed), overdue: count(totals.overdueNow) })}
            description={t("boardAnalytics.itemsHelp")}
            labels={flow.weeks.map((w) => weekLabel(w))}
            labelHeading={t("boardAnalytics.weekOf")}
            series={flow.series}
            format={count}
            whole
          />
          <LineChart
            title={t("boardAnalytics.timeToDone")}
            summary={
              lastDone
                ? t("boardAnalytics.doneSummary", { week: weekLabel(lastDone.week), hours: hours(lastDone.median_time_to_done_h ?? 0) })
                : t("boardAnalytics.noneDone")
            }
            description={t("boardAnalytics.doneHelp")}
            labels={labels}
            labelHeading={t("boardAnalytics.weekOf")}
            series={[{ name: t("boardAnalytics.medianHours"), values: weeks.map((w) => w.median_time_to_done_h) }]}
            format={hours}
          />
        </section>
      )}
      {people.series.length > 0 && (
        <section className="panel" aria-labelledby="people-heading">
          <h2 id="people-heading">{t("boardAnalytics.participation")}</h2>
          <LineChart
            title={t("boardAnalytics.sharePerPerson")}
            summary={t("boardAnalytics.peopleSummary", { people: people.series.length, weeks: people.weeks.length })}
            description={t("boardAnalytics.peopleHelp")}
            labels={people.weeks.map((w) => weekLabel(w))}
            labelHeading={t("boardAnalytics.weekOf")}
            series={people.series}
            format={formatPercent}
          />
        </section>
      )}
      {(data.topics.length > 0 || trends.series.length > 0) && (
        <section className="panel" aria-labelledby="topics-heading">
          <h2 id="topics-heading">{t("boardAnalytics.topics")}</h2>
          {data.topics.length > 0 && (
            <>
              <BarChart
                title={t("boardAnalytics.recurring")}
                summary={t("boardAnalytics.topicSummary", { topic: topicLabel(data.topics[0]!), share: formatPercent(data.topics[0]!.share) })}
                description={t("boardAnalytics.topicHelp")}
                labels={data.topics.map((topic) => topicLabel(topic, 3))}
                labelHeading={t("boardAnalytics.topic")}
                series={[{ name: t("boardAnalytics.share"), values: data.topics.map((topic) => topic.share) }]}
                format={formatPercent}
                horizontal
              />
              <ol className="topic-list">
                {data.topics.map((topic) => (
                  <li key={topic.topic}>
                    <strong>{topicLabel(topic, 6)}</strong>
                    <span className="meta">{t("boardAnalytics.leads", { count: topic.meetings })}</span>
                  </li>
                ))}
              </ol>
            </>
          )}
          {trends.series.length > 0 && (
            <LineChart
              title={t("boardAnalytics.trends")}
              summary={t("boardAnalytics.trendsSummary", { keywords: trends.series.map((s) => s.name).join(", ") })}
              description={t("boardAnalytics.trendsHelp")}
              labels={trends.weeks.map((w) => weekLabel(w))}
              labelHeading={t("boardAnalytics.weekOf")}
              series={trends.series}
              format={(value) => formatNumber(value, 2)}
            />
          )}
        </section>
      )}
      {data.meetings.length > 0 && (
        <section className="panel" aria-labelledby="meetings-heading">
          <h2 id="meetings-heading">{t("boardAnalytics.yourMeetings")}</h2>
          <div className="table-scroll" role="region" aria-labelledby="meetings-heading" tabIndex={0}>
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">{t("boardAnalytics.meeting")}</th>
                  <th scope="col">{t("boardAnalytics.started")}</th>
                  <th scope="col">{t("boardAnalytics.length")}</th>
                  <th scope="col">{t("boardAnalytics.speakers")}</th>
                  <th scope="col">{t("boardAnalytics.gini")}</th>
                  <th scope="col">{t("boardAnalytics.efficiency")}</th>
                </tr>
              </thead>
              <tbody>
                {data.meetings.map((m) => (
                  <tr key={m.meeting_id}>
                    <th scope="row">
                      <Link to={`/meetings/${m.meeting_id}/analytics`}>{m.title}</Link>
                    </th>
                    <td>{format.date(m.started_at)}</td>
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
