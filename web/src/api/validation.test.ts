import { describe, expect, it } from "vitest";

import { i18next } from "../i18n";
import { isValidationList, validationMessage } from "./validation";

const en = i18next.getFixedT("en");
const ko = i18next.getFixedT("ko");

describe("validation messages", () => {
  it("turn pydantic's messages into sentences with the field's name", () => {
    const tooLong = { loc: ["body", "display_name"], msg: "String should have at most 200 characters", type: "string_too_long", ctx: { max_length: 200 } };
    expect(validationMessage([tooLong], en)).toBe("Display name: at most 200 characters.");
    expect(validationMessage([tooLong], ko)).toBe("표시 이름: 200자 이하여야 합니다.");
    const blank = { loc: ["body", "title"], msg: "String should have at least 1 character", type: "string_too_short", ctx: { min_length: 1 } };
    expect(validationMessage([blank], en)).toBe("Title: cannot be empty.");
  });

  it("keep a validator's own reason without pydantic's prefix", () => {
    const term = {
      loc: ["body", "vocabulary"],
      msg: "Value error, term 1 ('xxxxxxxxxxxxxxxxxxxx'...) is longer than 64 characters",
      type: "value_error",
      ctx: { error: {} },
    };
    expect(validationMessage([term], en)).toBe("Vocabulary: term 1 ('xxxxxxxxxxxxxxxxxxxx'...) is longer than 64 characters.");
    const missing = { loc: ["body", "meeting_room"], msg: "Field required", type: "missing" };
    const whole = { loc: ["body"], msg: "Value error, give a title, a vocabulary, or both", type: "value_error" };
    expect(validationMessage([missing, whole], en)).toBe("Meeting room: required. Give a title, a vocabulary, or both.");
  });

  it("recognise FastAPI's list and nothing else", () => {
    expect(isValidationList([{ loc: ["body"], msg: "x" }])).toBe(true);
    expect(isValidationList("title: too long")).toBe(false);
    expect(isValidationList([1, 2])).toBe(false);
  });
});
