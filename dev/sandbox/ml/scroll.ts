import type { MlContext } from "./context";

// search_type=scan: the result set is frozen when the scroll starts and paged by scroll_id.
// A scroll dies 5 minutes after its last use, which is the timing slow syncs trip over.

export const SCROLL_TTL_MS = 5 * 60_000;
const MAX_LIVE_SCROLLS = 1_000;

export interface ScrollRec<T = string | number> {
  id: string;
  kind: string;
  ownerId: number;
  ids: T[];
  position: number;
  expires: number;
}

export class ScrollError extends Error {
  constructor(
    message: string,
    public code: string,
  ) {
    super(message);
  }
}

export interface ScrollPage<T> {
  scrollId: string;
  total: number;
  results: T[];
}

const scrolls = new WeakMap<MlContext, Map<string, ScrollRec>>();

function store(ctx: MlContext): Map<string, ScrollRec> {
  let s = scrolls.get(ctx);
  if (!s) {
    s = new Map();
    scrolls.set(ctx, s);
  }
  return s;
}

export function clearScrolls(ctx: MlContext): void {
  store(ctx).clear();
}

function take<T>(rec: ScrollRec, limit: number): T[] {
  const page = rec.ids.slice(rec.position, rec.position + limit) as T[];
  rec.position += page.length;
  return page;
}

export function createScroll<T extends string | number>(ctx: MlContext, kind: string, ownerId: number, ids: T[], limit: number): ScrollPage<T> {
  const s = store(ctx);
  const now = ctx.clock.now();
  if (s.size >= MAX_LIVE_SCROLLS) for (const [k, v] of s) if (v.expires <= now || s.size >= MAX_LIVE_SCROLLS) s.delete(k);
  const id = Buffer.from(`${kind}:${ownerId}:${ctx.state.rng.hex(32)}`).toString("base64url");
  const rec: ScrollRec = { id, kind, ownerId, ids, position: 0, expires: now + SCROLL_TTL_MS };
  s.set(id, rec);
  return { scrollId: id, total: ids.length, results: take<T>(rec, limit) };
}

export function readScroll<T extends string | number>(ctx: MlContext, scrollId: string, kind: string, ownerId: number, limit: number): ScrollPage<T> {
  const s = store(ctx);
  const rec = s.get(scrollId);
  const now = ctx.clock.now();
  if (!rec || rec.kind !== kind || rec.ownerId !== ownerId) throw new ScrollError("Invalid scroll_id", "invalid_scroll_id");
  if (rec.expires <= now) {
    s.delete(scrollId);
    throw new ScrollError("scroll_id expired; start a new scan", "scroll_expired");
  }
  rec.expires = now + SCROLL_TTL_MS;
  return { scrollId: rec.id, total: rec.ids.length, results: take<T>(rec, limit) };
}
