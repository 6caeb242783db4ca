import { describe, expect, it } from "vitest";
import { parseTinyDateTime, toTinyDate, toTinyDateTime } from "./dates";

describe("Tiny dates are São Paulo wall-clock time", () => {
  it("formats an instant late in the UTC day as the São Paulo day it still is", () => {
    const instant = new Date("2026-07-12T02:30:00Z");
    expect(toTinyDate(instant)).toBe("2026-07-11");
    expect(toTinyDateTime(instant)).toBe("2026-07-11 23:30:00");
  });

  it("parses Tiny's forms (date, date-time, the webhooks' DD/MM/YYYY) back to the same instant", () => {
    expect(parseTinyDateTime("2026-07-11 23:30:00")?.toISOString()).toBe("2026-07-12T02:30:00.000Z");
    expect(parseTinyDateTime("2026-07-11")?.toISOString()).toBe("2026-07-11T03:00:00.000Z");
    expect(parseTinyDateTime("11/07/2026")?.toISOString()).toBe("2026-07-11T03:00:00.000Z");
    // Before 2019 São Paulo had daylight saving time (-02:00 in January).
    expect(parseTinyDateTime("2018-01-15 12:00:00")?.toISOString()).toBe("2018-01-15T14:00:00.000Z");
    for (const empty of ["", null, undefined, "not a date", "0000-00-00"]) expect(parseTinyDateTime(empty)).toBeNull();
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    expect(parseTinyDateTime(toTinyDateTime(now))?.getTime()).toBe(now.getTime());
  });
});
