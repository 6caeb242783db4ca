import { describe, expect, it } from "vitest";
import { spDate, spDateBr, spDateTime } from "./dates";

// The sandbox's own São Paulo clock, checked against fixed instants rather than the product's
// conversion (integrations/tiny/dates.ts), so a bug in either shows up as a disagreement in the tests.

describe("sandbox dates are São Paulo wall-clock time", () => {
  it("prints an instant late in the UTC day as the São Paulo day it still is", () => {
    const ms = Date.parse("2026-07-12T02:30:00Z");
    expect(spDateTime(ms)).toBe("2026-07-11 23:30:00");
    expect(spDate(ms)).toBe("2026-07-11");
    expect(spDateBr(ms)).toBe("11/07/2026");
  });

  it("follows the zone's history: -02:00 under the daylight saving time São Paulo had until 2019", () => {
    expect(spDateTime(Date.parse("2018-01-15T14:00:00Z"))).toBe("2018-01-15 12:00:00");
    expect(spDateTime(Date.parse("2018-07-15T14:00:00Z"))).toBe("2018-07-15 11:00:00");
  });
});
