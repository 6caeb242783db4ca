// Tiny interprets and prints every date in São Paulo local time; a UTC date would move
// late-night orders to the next day, which is exactly the bug the sandbox must surface.

const spFormatter = new Intl.DateTimeFormat("en-CA", {
  timeZone: "America/Sao_Paulo",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

const HOUR = 3_600_000;
const offsetByHour = new Map<number, number>();

/**
 * São Paulo's UTC offset at `ms`. Offsets only change on whole hours (DST rules), so one Intl
 * lookup per UTC hour is exact; formatting 100k seed timestamps through Intl took seconds.
 */
function spOffsetMs(ms: number): number {
  const hour = Math.floor(ms / HOUR);
  let offset = offsetByHour.get(hour);
  if (offset === undefined) {
    const at = hour * HOUR;
    const p: Record<string, string> = {};
    for (const part of spFormatter.formatToParts(new Date(at))) p[part.type] = part.value;
    offset = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - at;
    if (offsetByHour.size > 50_000) offsetByHour.clear();
    offsetByHour.set(hour, offset);
  }
  return offset;
}

/** ISO string of the São Paulo wall-clock time ("YYYY-MM-DDTHH:mm:ss.sssZ", the Z being meaningless). */
function spIso(ms: number): string {
  return new Date(ms + spOffsetMs(ms)).toISOString();
}

/** "YYYY-MM-DD" in São Paulo. */
export function spDate(ms: number): string {
  return spIso(ms).slice(0, 10);
}

/** "YYYY-MM-DD HH:mm:ss" in São Paulo. */
export function spDateTime(ms: number): string {
  const iso = spIso(ms);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** "DD/MM/YYYY" — the format of webhook payloads and API v2. */
export function spDateBr(ms: number): string {
  const iso = spIso(ms);
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
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
