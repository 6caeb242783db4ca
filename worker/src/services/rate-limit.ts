import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis/cloudflare";
import { AppError } from "#core/errors";
import type { Services } from ".";

export interface RateLimitRule {
  /** Names the counter, e.g. "login-failures-ip"; one counter per subject under it. */
  name: string;
  limit: number;
  windowSeconds: number;
}

export interface RateLimitCheck {
  rule: RateLimitRule;
  /** Whose budget it is: an address, an email, a user id. */
  subject: string;
}

type LimitServices = Pick<Services, "redis" | "key" | "logger">;

/** How long a limiter may take before the request is answered 503 rather than waiting on Upstash. */
const DEADLINE_MS = 2_000;
/** What a client is told to wait when Upstash cannot be reached. */
const UNAVAILABLE_RETRY_SECONDS = 5;

// A Ratelimit holds no per-request state, and its in-memory cache of blocked subjects saves
// Upstash calls while a flood lasts, so an isolate keeps one per Redis client and rule.
const limitersByClient = new WeakMap<Redis, Map<string, Ratelimit>>();

function limiterFor(services: LimitServices, rule: RateLimitRule): Ratelimit {
  let limiters = limitersByClient.get(services.redis);
  if (!limiters) {
    limiters = new Map();
    limitersByClient.set(services.redis, limiters);
  }
  const id = `${rule.name}:${rule.limit}:${rule.windowSeconds}`;
  let limiter = limiters.get(id);
  if (!limiter) {
    limiter = new Ratelimit({
      redis: services.redis,
      limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowSeconds} s`),
      prefix: services.key("ratelimit", rule.name),
      // The library's own timeout lets the request through; ours (withDeadline) refuses it instead.
      timeout: 0,
      analytics: false,
    });
    limiters.set(id, limiter);
  }
  return limiter;
}

/**
 * Fails closed: a limiter that cannot count must not wave attackers through, and must not look
 * like our bug either, so an unreachable or slow Upstash is a 503 the client can retry.
 */
async function withDeadline<T>(services: LimitServices, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([work, deadline]);
  } catch (error) {
    services.logger.warn("rate limiter unavailable", { error: error instanceof Error ? error.message : String(error) });
    throw new AppError("unavailable", "The service is briefly unavailable; try again shortly.", {
      retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS,
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
}

/** A 429 whose Retry-After is when the last of the spent budgets refills. */
export function rateLimited(resetsAtMs: number[]): AppError {
  const waitMs = Math.max(...resetsAtMs) - Date.now();
  return new AppError("rate_limited", "Too many requests; try again after Retry-After seconds.", { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) });
}

/** Counts one request against every check; 429 when any budget is spent. */
export async function enforceRateLimits(services: LimitServices, checks: RateLimitCheck[]): Promise<void> {
  const results = await withDeadline(services, Promise.all(checks.map(({ rule, subject }) => limiterFor(services, rule).limit(subject))));
  const refused = results.filter((result) => !result.success);
  if (refused.length > 0) throw rateLimited(refused.map((result) => result.reset));
}

export interface RateLimitState {
  remaining: number;
  limit: number;
  /** When the window ends, epoch milliseconds. */
  reset: number;
}

/** What is left of each budget, without counting this request (for limits that count failures only). */
export async function rateLimitState<T extends RateLimitCheck[]>(services: LimitServices, checks: [...T]): Promise<{ [K in keyof T]: RateLimitState }> {
  const states = await withDeadline(services, Promise.all(checks.map(({ rule, subject }) => limiterFor(services, rule).getRemaining(subject))));
  return states as { [K in keyof T]: RateLimitState };
}

/** Counts a failure against every check, after it happened. */
export async function recordRateLimitHits(services: LimitServices, checks: RateLimitCheck[]): Promise<void> {
  await withDeadline(services, Promise.all(checks.map(({ rule, subject }) => limiterFor(services, rule).limit(subject))));
}
