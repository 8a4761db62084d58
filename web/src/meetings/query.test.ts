import { describe, expect, it } from "vitest";

import { isFiltered, localDayStart, meetingQuery } from "./query";

describe("meeting list query", () => {
  it("sends only the filters that are set, trimmed", () => {
    const params = new URLSearchParams(meetingQuery({ q: "  retro ", status: "", board_id: "" }));
    expect([...params.keys()]).toEqual(["q", "limit"]);
    expect(params.get("q")).toBe("retro");
    expect(params.get("limit")).toBe("20");
  });

  it("passes board, status, page size and cursor through", () => {
    const params = new URLSearchParams(meetingQuery({ board_id: "brd_1", status: "ended" }, "abc=", 5));
    expect(params.get("board_id")).toBe("brd_1");
    expect(params.get("status")).toBe("ended");
    expect(params.get("limit")).toBe("5");
    expect(params.get("cursor")).toBe("abc=");
  });

  it("turns a day range into local midnights, the last day included", () => {
    const params = new URLSearchParams(meetingQuery({ from: "2026-11-02", to: "2026-11-30" }));
    const after = new Date(params.get("after")!);
    const before = new Date(params.get("before")!);
    expect([after.getFullYear(), after.getMonth(), after.getDate(), after.getHours()]).toEqual([2026, 10, 2, 0]);
    expect([before.getFullYear(), before.getMonth(), before.getDate(), before.getHours()]).toEqual([2026, 11, 1, 0]);
  });

  it("ignores a day that is not YYYY-MM-DD", () => {
    expect(localDayStart("30/11/2026")).toBeNull();
    expect(new URLSearchParams(meetingQuery({ from: "soon" })).has("after")).toBe(false);
  });

  it("knows when the list is narrowed", () => {
    expect(isFiltered({})).toBe(false);
    expect(isFiltered({ q: "   " })).toBe(false);
    expect(isFiltered({ status: "active" })).toBe(true);
    expect(isFiltered({ to: "2026-11-30" })).toBe(true);
  });
});
