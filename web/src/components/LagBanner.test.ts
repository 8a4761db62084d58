import { describe, expect, it } from "vitest";

import { lagOf, lagText } from "./LagBanner";

describe("transcript lag events", () => {
  it("reads how far behind the transcript is", () => {
    const lag = lagOf({ type: "transcript.lag", lagging: true, lag_s: 4.4, streams_behind: 2 });
    expect(lag).toEqual({ lagS: 4.4, streamsBehind: 2 });
    expect(lagText(lag!)).toContain("about 4 s behind");
  });

  it("clears the banner once caught up, and ignores other events", () => {
    expect(lagOf({ type: "transcript.lag", lagging: false, lag_s: 0, streams_behind: 0 })).toBeNull();
    expect(lagOf({ type: "transcript.final", lag_s: 3 })).toBeNull();
    expect(lagOf({ type: "transcript.lag", lag_s: "soon" })).toBeNull();
  });
});
