import type { DlqRecord, MessageRecord, QStashEvent } from "./types";

const DEFAULT_COUNT = 100;

/**
 * Query filters of the bulk/list endpoints. Filters on features this stand-in
 * lacks (URL groups, queues, schedules, flow control) can never match, which is
 * the truthful answer and keeps a filtered bulk delete from touching everything.
 */
const NEVER_MATCH = ["topicName", "queueName", "scheduleId", "flowControlKey", "api", "endpointName"];

export interface Page {
  count: number;
  offset: number;
}

export function pageOf(q: URLSearchParams): Page {
  const count = Number(q.get("count") ?? DEFAULT_COUNT);
  const offset = Number(q.get("cursor") ?? 0);
  return {
    count: Number.isInteger(count) && count > 0 ? count : DEFAULT_COUNT,
    offset: Number.isInteger(offset) && offset > 0 ? offset : 0,
  };
}

/** Slices one page; the cursor is an offset, omitted on the last page. */
export function paginate<T>(items: T[], page: Page): { items: T[]; cursor?: string } {
  const end = page.offset + page.count;
  return { items: items.slice(page.offset, end), cursor: end < items.length ? String(end) : undefined };
}

export function matchesMessage(msg: MessageRecord, q: URLSearchParams): boolean {
  if (NEVER_MATCH.some((k) => q.has(k))) return false;
  const ids = q.getAll("messageIds");
  if (ids.length && !ids.includes(msg.messageId)) return false;
  const one = (key: string, actual: string | undefined) => {
    const wanted = q.getAll(key);
    return wanted.length === 0 || (actual !== undefined && wanted.includes(actual));
  };
  const labels = q.getAll("label");
  if (labels.length && !msg.labels.some((l) => labels.includes(l))) return false;
  return one("messageId", msg.messageId) && one("url", msg.url) && one("callerIp", msg.callerIp);
}

export function matchesDlq(entry: DlqRecord, q: URLSearchParams): boolean {
  const ids = q.getAll("dlqIds");
  if (ids.length && !ids.includes(entry.dlqId)) return false;
  const status = q.getAll("responseStatus");
  if (status.length && !status.includes(String(entry.last.status))) return false;
  const from = Number(q.get("fromDate") ?? 0);
  const to = Number(q.get("toDate") ?? Infinity);
  if (entry.movedAt < from || entry.movedAt > to) return false;
  return matchesMessage(entry.message, q);
}

export function matchesEvent(event: QStashEvent, q: URLSearchParams): boolean {
  const ok = (key: string, actual: string) => {
    const wanted = q.getAll(key);
    return wanted.length === 0 || wanted.includes(actual);
  };
  return ok("messageId", event.messageId) && ok("state", event.state) && ok("url", event.url);
}
