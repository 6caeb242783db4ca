/**
 * Waiting between attempts at a provider's API. Which failures are worth another attempt is each
 * provider's rule (integrations/mercadolibre/transport.ts, integrations/tiny/transport.ts); how long to wait is not.
 */

/**
 * Attempt n waits between half and all of min(cap, base·2^(n-1)) ("equal jitter"): never zero,
 * so a retry always gives the provider some room, yet concurrent callers never retry in step.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number): number {
  const exponential = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return exponential / 2 + Math.random() * (exponential / 2);
}

/** A Retry-After header in milliseconds; it may be delay-seconds or an HTTP date (RFC 9110). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
