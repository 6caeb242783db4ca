import type { Context, MiddlewareHandler } from "hono";
import type { Clock } from "../common";

/**
 * ML's per-application rate limit, as far as it is known (docs/sandbox.md, "Rate limit"):
 * - it counts calls per application (client id), whoever the seller (the official 429 FAQ);
 * - ML publishes no number; `GET /applications/{id}` shows `max_requests_per_hour: 18000` in every
 *   documented example, i.e. 5 calls/s, and developers report 429s from about 5–7 calls/s;
 * - over it ML answers 429 `local_rate_limited` (the Envoy local-rate-limit code it names), which
 *   behaves as a token bucket: a refused call takes no token, and capacity returns continuously;
 * - no rate-limit headers and no Retry-After are documented, so none is sent unless asked for.
 * Every call but the control endpoints counts, OAuth included, since they share the client id.
 */
export const ML_DOCUMENTED_APP_RATE_PER_SECOND = 18_000 / 3_600;

export interface RateLimitSettings {
  /** Calls per second for the whole application; null = no limit. */
  perSecond: number | null;
  /** Send Retry-After (whole seconds until a call would pass) with the 429; ML documents none. */
  retryAfter: boolean;
}

export interface AppRateLimiter {
  middleware: MiddlewareHandler;
  settings(): RateLimitSettings;
  set(settings: Partial<RateLimitSettings>): RateLimitSettings;
  reset(): void;
}

export function createAppRateLimiter(initial: RateLimitSettings, clock: Clock): AppRateLimiter {
  let settings = { ...initial };
  // One second of calls (at least one call), refilled continuously.
  const capacity = (rate: number | null) => Math.max(1, rate ?? 0);
  let tokens = capacity(settings.perSecond);
  let last = clock.now();
  const refill = (rate: number) => {
    const now = clock.now();
    tokens = Math.min(capacity(rate), tokens + (Math.max(0, now - last) * rate) / 1000);
    last = now;
  };
  const refuse = (c: Context, rate: number) => {
    if (settings.retryAfter) c.header("retry-after", String(Math.max(1, Math.ceil((1 - tokens) / rate))));
    return c.json({ message: "Too many requests", error: "local_rate_limited", status: 429, cause: [] }, 429);
  };
  return {
    middleware: async (c, next) => {
      const rate = settings.perSecond;
      if (rate === null || c.req.path.startsWith("/_sandbox")) return next();
      refill(rate);
      if (tokens < 1) return refuse(c, rate);
      tokens -= 1;
      return next();
    },
    settings: () => ({ ...settings }),
    set(patch) {
      settings = { ...settings, ...patch };
      tokens = capacity(settings.perSecond);
      last = clock.now();
      return { ...settings };
    },
    reset() {
      this.set(initial);
    },
  };
}
