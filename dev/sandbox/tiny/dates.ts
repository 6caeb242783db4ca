// Tiny interprets and prints every date in São Paulo local time; a UTC date would move
// late-night orders to the next day, which is exactly the bug the sandbox must surface. The
// conversion is the sandbox's own, by another route than the product's (integrations/tiny/dates.ts
// computes the zone offset): Intl's Swedish locale prints "YYYY-MM-DD HH:mm:ss" directly. Two
// implementations of one fact about Tiny, so a bug in the product's cannot hide behind a shared
// one. The sandbox stamps epoch milliseconds.

const saoPaulo = new Intl.DateTimeFormat("sv-SE", {
  timeZone: "America/Sao_Paulo",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/** "YYYY-MM-DD" in São Paulo. */
export function spDate(ms: number): string {
  return spDateTime(ms).slice(0, 10);
}

/** "YYYY-MM-DD HH:mm:ss" in São Paulo. */
export function spDateTime(ms: number): string {
  return saoPaulo.format(new Date(ms));
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
