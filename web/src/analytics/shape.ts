// Pure shaping of the analytics API's answers into what the charts and tables show:
// formatted numbers, talk-time bars, and week-by-series grids. No React, no DOM.

import type { BoardWeek, KeywordWeek, LiveTotals, PersonWeek, Topic } from "../api/types";

/** "1 h 05 min", "12 min 30 s", "45 s": a length of time a person reads at a glance; in
 * other locales the units come from Intl ("1시간 5분"). */
export function formatDuration(seconds: number, locale = "en"): string {
  const total = Math.max(0, Math.round(Number.isFinite(seconds) ? seconds : 0));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (!locale.startsWith("en")) {
    const unit = (value: number, name: string) =>
      new Intl.NumberFormat(locale, { style: "unit", unit: name, unitDisplay: "short" }).format(value);
    if (hours > 0) return `${unit(hours, "hour")} ${unit(minutes, "minute")}`;
    if (minutes > 0) return rest > 0 ? `${unit(minutes, "minute")} ${unit(rest, "second")}` : unit(minutes, "minute");
    return unit(rest, "second");
  }
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, "0")} min`;
  if (minutes > 0) return rest > 0 ? `${minutes} min ${rest} s` : `${minutes} min`;
  return `${rest} s`;
}

/** A share 0..1 as a whole percentage; below 1 % but above 0 shows as "<1%". */
export function formatPercent(share: number): string {
  if (!Number.isFinite(share) || share <= 0) return "0%";
  if (share < 0.005) return "<1%";
  return `${Math.round(share * 100)}%`;
}

/** A number with at most `digits` decimals, in the reader's locale (the interface language). */
export function formatNumber(value: number | null | undefined, digits = 1, locale?: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
}

/** "Nov 16" ("11월 16일") for the Monday of a week (ISO date, read as a calendar day, not UTC midnight). */
export function weekLabel(isoDate: string, locale?: string): string {
  const [year, month, day] = isoDate.split("-").map(Number);
  if (!year || !month || !day) return isoDate;
  return new Intl.DateTimeFormat(locale, { month: "short", day: "numeric" }).format(new Date(year, month - 1, day));
}

export interface TalkBar {
  id: string;
  name: string;
  seconds: number;
  /** 0..100, for the bar's width. */
  percent: number;
  label: string;
}

/** One bar per person from the live totals, most talk time first, with a readable label
 * (`wpm` words the speaking rate; `locale` the durations). */
export function liveBars(
  live: LiveTotals | null | undefined,
  locale = "en",
  wpm: (rate: number) => string = (rate) => `${rate} wpm`,
): TalkBar[] {
  if (!live) return [];
  const total = live.speakers.reduce((sum, s) => sum + Math.max(0, s.talk_s), 0);
  return [...live.speakers]
    .sort((a, b) => b.talk_s - a.talk_s || a.speaker.localeCompare(b.speaker))
    .map((s) => {
      const share = total > 0 ? Math.max(0, s.talk_s) / total : 0;
      return {
        id: s.participant_id,
        name: s.speaker,
        seconds: s.talk_s,
        percent: Math.round(share * 1000) / 10,
        label: `${formatDuration(s.talk_s, locale)} · ${formatPercent(share)}${s.wpm > 0 ? ` · ${wpm(Math.round(s.wpm))}` : ""}`,
      };
    });
}

export interface Series {
  name: string;
  values: (number | null)[];
}

export interface Grid {
  /** ISO dates of the weeks, oldest first. */
  weeks: string[];
  series: Series[];
}

function weeksOf(rows: { week: string }[], range?: string[]): string[] {
  return [...new Set([...(range ?? []), ...rows.map((row) => row.week)])].sort();
}

const DAY_MS = 86_400_000;
// A range of weeks is drawn one bar or point per week: ten years at most.
const MAX_WEEKS = 520;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function utcMs(isoDate: string): number {
  const [year, month, day] = isoDate.split("-").map(Number);
  return Date.UTC(year ?? 1970, (month ?? 1) - 1, day ?? 1);
}

/** The Monday (ISO date) of the week an ISO date falls in; weeks are UTC, as in the API. */
export function mondayOf(isoDate: string): string {
  const ms = utcMs(isoDate);
  const weekday = (new Date(ms).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return isoDay(ms - weekday * DAY_MS);
}

/** Every Monday from the week of `from` to the week of `to`, both included. */
export function weekRange(from: string, to: string): string[] {
  const weeks: string[] = [];
  const end = utcMs(mondayOf(to));
  for (let ms = utcMs(mondayOf(from)); ms <= end && weeks.length < MAX_WEEKS; ms += 7 * DAY_MS) {
    weeks.push(isoDay(ms));
  }
  return weeks;
}

/** The weeks a board's charts span: from `since` (else the first week with figures) to the
 * later of this week and the last week with figures; no figures and no `since`: none. */
export function boardWeekRange(weeks: { week: string }[], since: string | null, today: string): string[] {
  const known = weeksOf(weeks);
  const first = since ?? known[0];
  if (!first) return [];
  const last = known[known.length - 1];
  return weekRange(first, last && last > today ? last : today);
}

/** One row per week of `range`: a week without figures had no meetings and no item flow. */
export function fillWeeks(weeks: BoardWeek[], range: string[]): BoardWeek[] {
  const byWeek = new Map(weeks.map((w) => [w.week, w]));
  return weeksOf(weeks, range).map(
    (week) =>
      byWeek.get(week) ?? {
        week,
        meetings: 0,
        meeting_hours: 0,
        items_created: 0,
        items_completed: 0,
        items_overdue: 0,
        median_time_to_done_h: null,
      },
  );
}

/** Each person's mean talk share per week; a week they were not in a meeting is null (a gap). */
export function participationGrid(people: PersonWeek[], range?: string[]): Grid {
  const weeks = weeksOf(people, range);
  const index = new Map(weeks.map((week, i) => [week, i]));
  const byPerson = new Map<string, Series>();
  for (const row of people) {
    let series = byPerson.get(row.person);
    if (!series) {
      series = { name: row.name, values: weeks.map(() => null) };
      byPerson.set(row.person, series);
    }
    series.values[index.get(row.week)!] = row.talk_share;
  }
  // Two guests may share a name; a suffix keeps their legends apart.
  const series = [...byPerson.values()].sort((a, b) => a.name.localeCompare(b.name));
  const seen = new Map<string, number>();
  for (const s of series) {
    const count = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, count);
    if (count > 1) s.name = `${s.name} (${count})`;
  }
  return { weeks, series };
}

/** The `limit` terms with the highest total score, each a series over every week (0 if absent). */
export function keywordTrends(keywords: KeywordWeek[], limit = 5, range?: string[]): Grid {
  const weeks = weeksOf(keywords, range);
  const index = new Map(weeks.map((week, i) => [week, i]));
  const totals = new Map<string, number>();
  for (const row of keywords) totals.set(row.term, (totals.get(row.term) ?? 0) + row.score);
  const top = [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([term]) => term);
  const series = top.map((term): Series => ({ name: term, values: weeks.map(() => 0) }));
  const byTerm = new Map(series.map((s) => [s.name, s]));
  for (const row of keywords) {
    const target = byTerm.get(row.term);
    if (target) target.values[index.get(row.week)!] = row.score;
  }
  return { weeks, series };
}

/** The board's weeks as series for the action-item chart: created, completed, overdue. */
export function actionItemGrid(weeks: BoardWeek[], names: [string, string, string] = ["Created", "Completed", "Overdue"]): Grid {
  const sorted = [...weeks].sort((a, b) => a.week.localeCompare(b.week));
  const [created, completed, overdue] = names;
  return {
    weeks: sorted.map((w) => w.week),
    series: [
      { name: created, values: sorted.map((w) => w.items_created) },
      { name: completed, values: sorted.map((w) => w.items_completed) },
      { name: overdue, values: sorted.map((w) => w.items_overdue) },
    ],
  };
}

/** A topic's strongest terms as one line, e.g. "release, beta, notes". */
export function topicLabel(topic: Topic, terms = 4): string {
  return topic.terms
    .slice(0, terms)
    .map((t) => t.term)
    .join(", ");
}

/** Totals over a board's weeks, for the headline of its page. */
export function boardTotals(weeks: BoardWeek[]): {
  meetings: number;
  hours: number;
  created: number;
  completed: number;
  overdueNow: number;
} {
  const latest = [...weeks].sort((a, b) => b.week.localeCompare(a.week))[0];
  return {
    meetings: weeks.reduce((n, w) => n + w.meetings, 0),
    hours: weeks.reduce((n, w) => n + w.meeting_hours, 0),
    created: weeks.reduce((n, w) => n + w.items_created, 0),
    completed: weeks.reduce((n, w) => n + w.items_completed, 0),
    overdueNow: latest?.items_overdue ?? 0,
  };
}

/** Look-backs the board page offers; the API takes any `Nd`/`Nw` or an ISO date. */
export const SINCE_CHOICES: { value: string; label: string }[] = [
  { value: "30d", label: "Last 30 days" },
  { value: "12w", label: "Last 12 weeks" },
  { value: "26w", label: "Last 6 months" },
  { value: "52w", label: "Last year" },
  { value: "all", label: "Everything" },
];
export const DEFAULT_SINCE = "12w";

/** The API's `since` for a choice of the page ("all" means no bound). */
export function sinceParam(choice: string | null): string {
  const known = SINCE_CHOICES.some((c) => c.value === choice);
  const value = known && choice ? choice : DEFAULT_SINCE;
  return value === "all" ? "" : value;
}
