import { describe, expect, it } from "vitest";

import type { Column } from "../api/types";
import { columnMove } from "./columns";

const columns: Column[] = [
  { id: "todo", name: "To do", position: 0, version: 1 },
  { id: "doing", name: "In progress", position: 1, version: 1 },
  { id: "done", name: "Done", position: 2, version: 1 },
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
