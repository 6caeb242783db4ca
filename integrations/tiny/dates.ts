/**
 * Tiny reads and writes dates as São Paulo wall-clock time without an offset ("YYYY-MM-DD",
 * "YYYY-MM-DD HH:mm:ss"); sending UTC moves late-evening orders to the next day. Everything
 * here converts between those strings and absolute instants through the IANA zone, so a
 * future return of daylight saving time needs no code change. Empty strings mean "no date".
 */
export const TINY_TIME_ZONE = "America/Sao_Paulo";

const formatter = new Intl.DateTimeFormat("en-CA", {
  timeZone: TINY_TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

const HOUR_MS = 3_600_000;
const offsetByHour = new Map<number, number>();

/**
 * The zone's offset from UTC at `ms`, in milliseconds (São Paulo: -3 h today). Its offsets have
 * only ever changed on whole UTC hours, so one Intl lookup per hour is exact, and cheap enough
 * for the Tiny sandbox, which formats 100k seed timestamps through here (Intl per call took seconds).
 */
function offsetMs(ms: number): number {
  const hour = Math.floor(ms / HOUR_MS);
  let offset = offsetByHour.get(hour);
  if (offset === undefined) {
    const at = hour * HOUR_MS;
    const p: Record<string, string> = {};
    for (const part of formatter.formatToParts(new Date(at))) p[part.type] = part.value;
    offset = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - at;
    // Bounded: a long-running process formatting ever-new hours must not grow without limit.
    if (offsetByHour.size > 50_000) offsetByHour.clear();
    offsetByHour.set(hour, offset);
  }
  return offset;
}

/** The São Paulo wall-clock time as an ISO string whose "Z" is meaningless: only for slicing. */
function wallClockIso(instant: Date): string {
  return new Date(instant.getTime() + offsetMs(instant.getTime())).toISOString();
}

/** "YYYY-MM-DD" in São Paulo for the instant. */
export function toTinyDate(instant: Date): string {
  return wallClockIso(instant).slice(0, 10);
}

/** "YYYY-MM-DD HH:mm:ss" in São Paulo for the instant (the format of Tiny's date-time filters). */
export function toTinyDateTime(instant: Date): string {
  const iso = wallClockIso(instant);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** The zone's offset from UTC at `instant`, in minutes (São Paulo: -180 today). */
function offsetMinutes(instant: Date): number {
  return Math.round(offsetMs(instant.getTime()) / 60_000);
}

const TINY_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const BR_DATE = /^(\d{2})\/(\d{2})\/(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * A Tiny local date or date-time ("2026-07-11", "2026-07-11 14:22:01", or the webhooks'
 * "11/07/2026") as an absolute instant. Null for "", null and anything unparseable.
 */
export function parseTinyDateTime(value: string | null | undefined): Date | null {
  if (!value) return null;
  const trimmed = value.trim();
  let y: string, mo: string, d: string, h: string | undefined, mi: string | undefined, s: string | undefined;
  const iso = TINY_DATE.exec(trimmed);
  const br = iso ? null : BR_DATE.exec(trimmed);
  if (iso) [, y, mo, d, h, mi, s] = iso as unknown as [string, string, string, string, string?, string?, string?];
  else if (br) [, d, mo, y, h, mi, s] = br as unknown as [string, string, string, string, string?, string?, string?];
  else return null;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0));
  // Date.UTC rolls "2026-02-31" or "0000-00-00" over into other dates: only real calendar values pass.
  const check = new Date(wall);
  if (Number.isNaN(wall) || check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(y) < 1900) return null;
  // Two passes settle the offset even on a transition day.
  let guess = wall - offsetMinutes(new Date(wall)) * 60_000;
  guess = wall - offsetMinutes(new Date(guess)) * 60_000;
  const result = new Date(guess);
  return Number.isNaN(result.getTime()) ? null : result;
}
