import { describe, expect, it } from "vitest";

import { markedParts } from "./highlight";

describe("markedParts", () => {
  it("marks the ranges and keeps the text between them", () => {
    expect(markedParts("finish the launch checklist today", [[11, 27]])).toEqual([
      { text: "finish the ", match: false },
      { text: "launch checklist", match: true },
      { text: " today", match: false },
    ]);
  });

  it("counts code points, so emoji before a match do not shift it", () => {
    const parts = markedParts("🎉🎉 예산안을 검토", [[3, 5]]);
    expect(parts.filter((p) => p.match).map((p) => p.text)).toEqual(["예산"]);
    expect(parts.map((p) => p.text).join("")).toBe("🎉🎉 예산안을 검토");
  });

  it("sorts, merges overlaps and clamps ranges past the end", () => {
    expect(markedParts("abcdef", [[4, 99], [0, 2], [1, 3]])).toEqual([
      { text: "abc", match: true },
      { text: "d", match: false },
      { text: "ef", match: true },
    ]);
  });

  it("keeps markup as text: a match is never parsed as HTML", () => {
    const parts = markedParts("<img src=x onerror=alert(1)>", [[0, 4]]);
    expect(parts[0]).toEqual({ text: "<img", match: true });
    expect(parts.map((p) => p.text).join("")).toBe("<img src=x onerror=alert(1)>");
  });

  it("returns the whole text unmarked without ranges", () => {
    expect(markedParts("plain", [])).toEqual([{ text: "plain", match: false }]);
    expect(markedParts("", [[0, 3]])).toEqual([]);
  });
});
