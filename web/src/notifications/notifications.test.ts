import { describe, expect, it } from "vitest";

import { type AppNotification, notificationLink, withPushed, withRead } from "./notifications";

const base: AppNotification = {
  id: "ntf_1",
  kind: "assigned",
  title: "Send the survey",
  text: "",
  actor: "Ana",
  board_id: "brd_1",
  card_id: "crd_1",
  meeting_id: null,
  segment_id: null,
  at_s: null,
  due_date: null,
  created_at: "2026-12-01T09:00:00Z",
  read: false,
};

describe("notifications", () => {
  it("leads to the card on its board, or to the moment of the meeting", () => {
    expect(notificationLink(base)).toBe("/boards/brd_1?card=crd_1");
    expect(notificationLink({ ...base, kind: "due" })).toBe("/boards/brd_1?card=crd_1");
    const mention = { ...base, kind: "mention" as const, board_id: null, card_id: null, meeting_id: "mtg 1", segment_id: "seg_9" };
    expect(notificationLink(mention)).toBe("/meetings/mtg%201?at=seg_9");
    expect(notificationLink({ ...mention, segment_id: null })).toBe("/meetings/mtg%201");
  });

  it("puts a pushed notification first, once", () => {
    const older = { ...base, id: "ntf_0" };
    const list = withPushed([base, older], { ...base, title: "Renamed" });
    expect(list.map((n) => [n.id, n.title])).toEqual([
      ["ntf_1", "Renamed"],
      ["ntf_0", "Send the survey"],
    ]);
    expect(withPushed([], base)).toEqual([base]);
  });

  it("marks one read and leaves the others", () => {
    const list = withRead([base, { ...base, id: "ntf_2" }], "ntf_2");
    expect(list.map((n) => n.read)).toEqual([false, true]);
  });
});
