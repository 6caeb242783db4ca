import { toTinyDate, toTinyDateTime } from "../../../core/tiny/dates";

// Tiny interprets and prints every date in São Paulo local time; a UTC date would move
// late-night orders to the next day, which is exactly the bug the sandbox must surface. The
// conversion is the product's own (core/tiny/dates.ts): one fact about Tiny, one implementation,
// so the sandbox cannot drift from what the client sends. The sandbox stamps epoch milliseconds.

/** "YYYY-MM-DD" in São Paulo. */
export function spDate(ms: number): string {
  return toTinyDate(new Date(ms));
}

/** "YYYY-MM-DD HH:mm:ss" in São Paulo. */
export function spDateTime(ms: number): string {
  return toTinyDateTime(new Date(ms));
}

/** "DD/MM/YYYY" — the format of webhook payloads and API v2. */
export function spDateBr(ms: number): string {
  return isoToBr(spDate(ms));
}

/** Converts a "YYYY-MM-DD" (any time suffix ignored) to "DD/MM/YYYY"; empty stays empty. */
export function isoToBr(date: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : "";
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;

export function isDate(value: string): boolean {
  return DATE_RE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

export function isDateTime(value: string): boolean {
  return DATE_TIME_RE.test(value);
}

/** Pads a filter value to a full "YYYY-MM-DD HH:mm:ss" so it compares lexicographically with stored stamps. */
export function normalizeDateTime(value: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value} 00:00:00`;
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(value)) return `${value}:00`;
  return value;
}
