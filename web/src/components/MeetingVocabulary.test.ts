import { describe, expect, it } from "vitest";

import { termsOf } from "./MeetingVocabulary";

describe("termsOf", () => {
  it("takes one term a line, trimmed, without blank lines", () => {
    expect(termsOf("  Jiwoo Park \n\n Kafka\n   \n네이버")).toEqual(["Jiwoo Park", "Kafka", "네이버"]);
    expect(termsOf("")).toEqual([]);
  });
});
