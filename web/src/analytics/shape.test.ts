import { describe, expect, it } from "vitest";

import type { KeywordWeek, LiveTotals, PersonWeek } from "../api/types";
import {
  actionItemGrid,
  boardTotals,
  boardWeekRange,
  fillWeeks,
  formatDuration,
  formatNumber,
  formatPercent,
  keywordTrends,
  liveBars,
  mondayOf,
  participationGrid,
  sinceParam,
  topicLabel,
  weekLabel,
  weekRange,
} from "./shape";

function live(speakers: [string, string, number, number][]): LiveTotals {
  return {
    active: true,
    updated_at: "2026-11-30T10:00:00Z",
    talk_s: speakers.reduce((n, s) => n + s[2], 0),
    speakers: speakers.map(([id, name, talk, wpm]) => ({
      participant_id: id,
      speaker: name,
      segments: 3,
      talk_s: talk,
      talk_share: 0,
      words: 10,
      wpm,
      last_end_s: talk,
      updated_at: "2026-11-30T10:00:00Z",
    })),
  };
}

function person(id: string, name: string, week: string, share: number): PersonWeek {
  return { person: id, name, week, meetings: 1, talk_s: 60, talk_share: share, words: 100, wpm: 140 };
}

describe("formatting", () => {
  it("reads durations in the largest sensible units", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(44.6)).toBe("45 s");
    expect(formatDuration(750)).toBe("12 min 30 s");
    expect(formatDuration(720)).toBe("12 min");
    expect(formatDuration(3900)).toBe("1 h 05 min");
    expect(formatDuration(-5)).toBe("0 s");
    expect(formatDuration(Number.NaN)).toBe("0 s");
  });

  it("writes durations, week labels and numbers in Korean for ko", () => {
    expect(formatDuration(750, "ko")).toBe("12분 30초");
    expect(formatDuration(3900, "ko")).toBe("1시간 5분");
    expect(weekLabel("2026-11-16", "ko")).toBe("11월 16일");
    expect(formatNumber(12345.67, 1, "ko")).toBe("12,345.7");
  });

  it("rounds shares to whole percentages and keeps tiny ones visible", () => {
    expect(formatPercent(0.456)).toBe("46%");
    expect(formatPercent(0.001)).toBe("<1%");
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(1)).toBe("100%");
  });

  it("labels a week by its calendar day, whatever the time zone", () => {
    expect(weekLabel("2026-11-16")).toMatch(/16/);
    expect(weekLabel("not a date")).toBe("not a date");
  });
});

describe("liveBars", () => {
  it("gives one bar per person, most talk first, shares of the total", () => {
    const bars = liveBars(live([["b", "Bob", 30, 0], ["a", "Ana", 90, 152.4]]));
    expect(bars.map((b) => [b.name, b.percent])).toEqual([
      ["Ana", 75],
      ["Bob", 25],
    ]);
    expect(bars[0]!.label).toBe("1 min 30 s · 75% · 152 wpm");
    expect(bars[1]!.label).toBe("30 s · 25%"); // no words per minute yet
  });

  it("is empty before anyone spoke and never divides by zero", () => {
    expect(liveBars(undefined)).toEqual([]);
    expect(liveBars(live([["a", "Ana", 0, 0]]))[0]!.percent).toBe(0);
  });
});

describe("participationGrid", () => {
  it("puts each person on every week, with gaps where they were absent", () => {
    const grid = participationGrid([
      person("u2", "Bob", "2026-11-16", 0.4),
      person("u1", "Ana", "2026-11-09", 0.7),
      person("u1", "Ana", "2026-11-16", 0.6),
    ]);
    expect(grid.weeks).toEqual(["2026-11-09", "2026-11-16"]);
    expect(grid.series).toEqual([
      { name: "Ana", values: [0.7, 0.6] },
      { name: "Bob", values: [null, 0.4] },
    ]);
  });

  it("keeps two people of the same name apart", () => {
    const grid = participationGrid([person("g1", "Guest", "2026-11-16", 0.5), person("g2", "Guest", "2026-11-16", 0.5)]);
    expect(grid.series.map((s) => s.name)).toEqual(["Guest", "Guest (2)"]);
  });
});

describe("keywordTrends", () => {
  const rows: KeywordWeek[] = [
    { week: "2026-11-09", term: "budget", score: 0.5, meetings: 1 },
    { week: "2026-11-09", term: "release", score: 0.2, meetings: 1 },
    { week: "2026-11-16", term: "release", score: 0.6, meetings: 2 },
    { week: "2026-11-16", term: "lunch", score: 0.05, meetings: 1 },
  ];

  it("keeps the strongest terms overall, each over every week", () => {
    const grid = keywordTrends(rows, 2);
    expect(grid.weeks).toEqual(["2026-11-09", "2026-11-16"]);
    expect(grid.series).toEqual([
      { name: "release", values: [0.2, 0.6] },
      { name: "budget", values: [0.5, 0] },
    ]);
  });

  it("is empty for no keywords", () => {
    expect(keywordTrends([])).toEqual({ weeks: [], series: [] });
  });
});

describe("board weeks", () => {
  const weeks = [
    { week: "2026-11-16", meetings: 2, meeting_hours: 1.5, items_created: 4, items_completed: 1, items_overdue: 2, median_time_to_done_h: 30 },
    { week: "2026-11-09", meetings: 1, meeting_hours: 0.5, items_created: 1, items_completed: 3, items_overdue: 1, median_time_to_done_h: null },
  ];

  it("orders the action-item flow by week", () => {
    expect(actionItemGrid(weeks)).toEqual({
      weeks: ["2026-11-09", "2026-11-16"],
      series: [
        { name: "Created", values: [1, 4] },
        { name: "Completed", values: [3, 1] },
        { name: "Overdue", values: [1, 2] },
      ],
    });
  });

  it("sums the period and takes overdue items from the latest week", () => {
    expect(boardTotals(weeks)).toEqual({ meetings: 3, hours: 2, created: 5, completed: 4, overdueNow: 2 });
    expect(boardTotals([]).overdueNow).toBe(0);
  });
});

describe("topics and look-backs", () => {
  it("names a topic by its strongest terms", () => {
    const topic = { topic: 0, meetings: 2, share: 0.5, terms: ["a", "b", "c", "d", "e"].map((term) => ({ term, weight: 1 })) };
    expect(topicLabel(topic)).toBe("a, b, c, d");
  });

  it("maps the page's choice to the API's since", () => {
    expect(sinceParam("30d")).toBe("30d");
    expect(sinceParam("all")).toBe("");
    expect(sinceParam(null)).toBe("12w");
    expect(sinceParam("1000000w")).toBe("12w"); // not offered: the default
  });
});

describe("week ranges", () => {
  it("finds the Monday of any day, in UTC", () => {
    expect(mondayOf("2026-11-30")).toBe("2026-11-30"); // a Monday
    expect(mondayOf("2026-12-06")).toBe("2026-11-30"); // the Sunday after
    expect(mondayOf("2026-01-01")).toBe("2025-12-29"); // across a year
  });

  it("lists every Monday between two days, both weeks included", () => {
    expect(weekRange("2026-11-12", "2026-11-30")).toEqual(["2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]);
    expect(weekRange("2026-11-30", "2026-11-09")).toEqual([]);
    expect(weekRange("1990-01-01", "2026-11-30")).toHaveLength(520); // capped
  });

  it("spans a board's charts from since (or its first week) to this week", () => {
    const rows = [{ week: "2026-11-09" }, { week: "2026-11-16" }];
    expect(boardWeekRange(rows, null, "2026-12-02")).toEqual(["2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]);
    expect(boardWeekRange(rows, "2026-11-02", "2026-11-17")).toEqual(["2026-11-02", "2026-11-09", "2026-11-16"]);
    expect(boardWeekRange([], null, "2026-11-17")).toEqual([]);
  });

  it("fills a week without figures with no meetings and no item flow", () => {
    const week = { week: "2026-11-09", meetings: 2, meeting_hours: 1, items_created: 1, items_completed: 0, items_overdue: 1, median_time_to_done_h: null };
    const filled = fillWeeks([week], ["2026-11-02", "2026-11-09", "2026-11-16"]);
    expect(filled.map((w) => [w.week, w.meetings, w.items_overdue])).toEqual([
      ["2026-11-02", 0, 0],
      ["2026-11-09", 2, 1],
      ["2026-11-16", 0, 0],
    ]);
  });

  it("gives people and keywords a value or a gap on every week of the range", () => {
    const range = ["2026-11-02", "2026-11-09"];
    expect(participationGrid([person("u1", "Ana", "2026-11-09", 0.5)], range).series).toEqual([{ name: "Ana", values: [null, 0.5] }]);
    const trend = keywordTrends([{ week: "2026-11-09", term: "beta", score: 0.3, meetings: 1 }], 5, range);
    expect(trend).toEqual({ weeks: range, series: [{ name: "beta", values: [0, 0.3] }] });
  });
});
