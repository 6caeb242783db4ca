import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";

// Per-route call counts let tests and benchmarks assert how many provider calls a sync made
// (e.g. "multiget, not N single GETs"), which is the number that matters against real rate limits.

export interface CounterEntry {
  count: number;
  byStatus: Record<string, number>;
}

export interface CallCounters {
  /** Mount first (outermost) so calls answered by fault injection are counted too. */
  middleware: MiddlewareHandler;
  /** Keys are `METHOD /route/:pattern`. */
  snapshot(): Record<string, CounterEntry>;
  /** Plain key → count map. */
  counts(): Record<string, number>;
  get(key: string): number;
  total(): number;
  reset(): void;
}

export interface CounterOptions {
  /** Paths not counted; by default the sandbox's own control endpoints. */
  ignore?: (path: string) => boolean;
}

export const UNMATCHED = "<unmatched>";

export function createCallCounters(opts: CounterOptions = {}): CallCounters {
  const ignore = opts.ignore ?? ((path: string) => path.startsWith("/_sandbox"));
  let entries = new Map<string, CounterEntry>();

  const middleware: MiddlewareHandler = async (c, next) => {
    if (ignore(c.req.path)) return next();
    try {
      await next();
    } finally {
      // routeIndex points at the handler that produced the response. If that was middleware
      // (a fault), the endpoint the request was headed for is the next non-middleware route.
      const routes = matchedRoutes(c);
      let pattern = UNMATCHED;
      for (let i = Math.max(0, c.req.routeIndex); i < routes.length; i++) {
        const r = routes[i];
        if (r && r.method !== "ALL") {
          pattern = r.path.replace(/\{[^}]*\}/g, "");
          break;
        }
      }
      const key = `${c.req.method} ${pattern}`;
      const entry = entries.get(key) ?? { count: 0, byStatus: {} };
      entry.count += 1;
      const status = String(c.res.status);
      entry.byStatus[status] = (entry.byStatus[status] ?? 0) + 1;
      entries.set(key, entry);
    }
  };

  return {
    middleware,
    snapshot: () => Object.fromEntries([...entries].map(([k, v]) => [k, { count: v.count, byStatus: { ...v.byStatus } }])),
    counts: () => Object.fromEntries([...entries].map(([k, v]) => [k, v.count])),
    get: (key) => entries.get(key)?.count ?? 0,
    total: () => [...entries.values()].reduce((n, e) => n + e.count, 0),
    reset() {
      entries = new Map();
    },
  };
}
