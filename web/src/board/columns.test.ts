import { describe, expect, it } from "vitest";

import { columnMove } from "./columns";

const columns = [
  { id: "todo", name: "To do" },
  { id: "doing", name: "In progress" },
  { id: "done", name: "Done" },
];

describe("column moves", () => {
  it("steps one place left or right", () => {
    expect(columnMove(columns, "doing", -1)).toBe(0);
    expect(columnMove(columns, "doing", 1)).toBe(2);
  });

  it("stops at either end", () => {
    expect(columnMove(columns, "todo", -1)).toBeNull();
    expect(columnMove(columns, "done", 1)).toBeNull();
  });

  it("knows no unknown column", () => {
    expect(columnMove(columns, "gone", 1)).toBeNull();
  });
});
