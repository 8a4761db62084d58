import { describe, expect, it } from "vitest";

import { en } from "./en";
import { formatDate, formatDateTime, formatDay, formatNumber, formatRelative, formatTime } from "./format";
import { pickLanguage } from "./index";
import { ko } from "./ko";

const PLURAL = /_(zero|one|two|few|many|other)$/;

/** Every message key, dotted, with plural suffixes folded (Korean has only "other"). */
function keys(tree: object, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === "string" ? [`${prefix}${key.replace(PLURAL, "")}`] : keys(value as object, `${prefix}${key}.`),
  );
}

function keysRaw(tree: object, prefix = ""): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === "string" ? [`${prefix}${key}`] : keysRaw(value as object, `${prefix}${key}.`),
  );
}

describe("catalogues", () => {
  it("Korean has every English key and no other", () => {
    const english = new Set(keys(en));
    const korean = new Set(keys(ko));
    expect([...english].filter((k) => !korean.has(k))).toEqual([]);
    expect([...korean].filter((k) => !english.has(k))).toEqual([]);
    // Korean has a single plural form: "_one" keys would never be used.
    expect(keysRaw(ko).filter((k) => k.endsWith("_one"))).toEqual([]);
  });

  it("keeps the same placeholders in both languages", () => {
    const placeholders = (tree: object, prefix = ""): Record<string, string> =>
      Object.fromEntries(
        Object.entries(tree).flatMap(([key, value]) =>
          typeof value === "string"
            ? [[`${prefix}${key.replace(PLURAL, "")}`, [...value.matchAll(/{{(\w+)}}/g)].map((m) => m[1]).sort().join(",")]]
            : Object.entries(placeholders(value as object, `${prefix}${key}.`)),
        ),
      );
    const english = placeholders(en);
    const korean = placeholders(ko);
    for (const [key, names] of Object.entries(korean)) expect([key, names]).toEqual([key, english[key]]);
  });
});

describe("language choice", () => {
  it("follows the browser, then the stored choice", () => {
    expect(pickLanguage(null, ["ko-KR", "en-US"])).toBe("ko");
    expect(pickLanguage(null, ["fr-FR", "en-GB"])).toBe("en");
    expect(pickLanguage(null, ["fr-FR"])).toBe("en");
    expect(pickLanguage("en", ["ko-KR"])).toBe("en");
    expect(pickLanguage("xx", ["ko"])).toBe("ko");
  });
});

describe("formatting in Korean", () => {
  const at = new Date(2026, 11, 1, 15, 4, 5);

  it("writes dates and times the Korean way", () => {
    expect(formatDate(at, "ko")).toBe("2026. 12. 1.");
    // The day period ("오후" or, in newer CLDR, "PM") is the locale data's choice, not ours.
    expect(formatDateTime(at, "ko")).toMatch(/^2026\. 12\. 1\. \S+ 3:04$/);
    expect(formatTime(at, "ko")).toMatch(/^\S+ 3:04:05$/);
    expect(formatDate(at, "en")).toBe("Dec 1, 2026");
    expect(formatDay("2026-12-01", "ko")).toBe("2026. 12. 1.");
    expect(formatDay("someday", "ko")).toBe("someday");
  });

  it("says relative times in Korean", () => {
    expect(formatRelative(new Date(at.getTime() - 3 * 60_000), "ko", at)).toBe("3분 전");
    expect(formatRelative(new Date(at.getTime() - 2 * 3_600_000), "ko", at)).toBe("2시간 전");
    expect(formatRelative(new Date(at.getTime() - 86_400_000), "ko", at)).toBe("어제");
    expect(formatRelative(new Date(at.getTime() - 3 * 60_000), "en", at)).toBe("3 minutes ago");
  });

  it("groups numbers by the locale", () => {
    expect(formatNumber(1234567.5, "ko")).toBe("1,234,567.5");
    expect(formatNumber(0.25, "ko", { style: "percent" })).toBe("25%");
  });
});
