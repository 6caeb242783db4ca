import { AppError } from "../../../core/errors";
import type { Services } from ".";

export interface RateLimitRule {
  /** What is limited, e.g. "login:ip:203.0.113.9". */
  subject: string;
  limit: number;
  windowSeconds: number;
}

/**
 * Fixed-window counters in Upstash Redis: one INCR and one EXPIRE NX in a single round trip.
 * The first rule over its limit throws a 429 whose Retry-After is the time left in that window.
 */
export async function enforceRateLimits(services: Pick<Services, "redis" | "key">, rules: RateLimitRule[]): Promise<void> {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const pipeline = services.redis.pipeline();
  const keys = rules.map((rule) => {
    const window = Math.floor(nowSeconds / rule.windowSeconds);
    const key = services.key("ratelimit", rule.subject, String(window));
    pipeline.incr(key);
    pipeline.expire(key, rule.windowSeconds, "NX");
    return { rule, window };
  });
  const results = await pipeline.exec<number[]>();
  keys.forEach(({ rule, window }, index) => {
    const count = results[index * 2]!;
    if (count > rule.limit) {
      const windowEnd = (window + 1) * rule.windowSeconds;
      throw new AppError("rate_limited", "Too many attempts; try again later.", { retryAfterSeconds: windowEnd - nowSeconds });
    }
  });
}
