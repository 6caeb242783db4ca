import { MAX_RETRY_DELAY_MS } from "./defaults";
import { evaluate } from "./expr";
import type { RetryDelay } from "./types";

/**
 * Milliseconds to wait before the retry that follows a failed attempt whose
 * Upstash-Retried was `retried`.
 *
 * Without an expression this is QStash's min(86400, e^(2.5n)) seconds with
 * n = retried + 1 (about 12 s, 2.5 min, 30 min, …) times `backoffScale`, so local
 * runs finish in milliseconds. An explicit Upstash-Retry-Delay is already in
 * milliseconds and chosen by the publisher, so it is honoured unscaled.
 */
export function retryDelayMs(retried: number, retryDelay: RetryDelay | undefined, backoffScale: number): number {
  if (retryDelay) {
    const value = evaluate(retryDelay.expr, { retried });
    if (Number.isFinite(value)) return clamp(value);
  }
  return clamp(Math.min(86_400, Math.exp(2.5 * (retried + 1))) * 1000 * backoffScale);
}

function clamp(ms: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, Math.max(0, Math.round(ms)));
}
