import { describe, expect, it } from "vitest";

import { NOT_FOUND_MESSAGE, REMOVED_MESSAGE, goneMessage } from "./events";

describe("a 4404 close of the events socket", () => {
  it("tells a removed member that they are no longer one", () => {
    expect(goneMessage("you are no longer a member of this meeting")).toBe(REMOVED_MESSAGE);
  });

  it("says not found for a meeting one never belonged to", () => {
    expect(goneMessage("meeting not found")).toBe(NOT_FOUND_MESSAGE);
    expect(goneMessage("")).toBe(NOT_FOUND_MESSAGE);
  });
});
