import { describe, expect, it } from "vitest";

import { modelsFor } from "./Retranscribe";

describe("re-transcription models", () => {
  it("offers English-only models for English meetings only", () => {
    const models = ["base", "tiny.en", "small"];
    expect(modelsFor(models, "en")).toEqual(models);
    expect(modelsFor(models, "ko")).toEqual(["base", "small"]);
    expect(modelsFor(models, "auto")).toEqual(["base", "small"]);
  });
});
