import type { JobServices } from "../types";

/**
 * Per-ML-account fairness, shared by every container through Redis:
 * - concurrency: at most N jobs of one account run at once (a sorted set of job ids with
 *   expiring leases, so a crashed worker's slot frees itself);
 * - rate: at most R ML calls per second per account (a fixed one-second window).
 * A job over either limit is deferred (moved back to delayed without spending an attempt), so
 * one big seller's backlog waits on its own limit while other sellers' jobs keep the workers.
 */

// A lease outlives any single fetch (the ML client's own retries included) but not a crash by much.
const leaseMs = 60_000;

const acquireScript = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

const rateScript = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], 2000) end
return n
`;

export function accountLimits(services: Pick<JobServices, "redis" | "keyPrefix" | "mlAccountLimits">) {
  const slotsKey = (accountId: string) => `${services.keyPrefix}:ml-account:${accountId}:slots`;
  return {
    /** True when the job may run now; call `release` when it is done either way. */
    async acquire(accountId: string, jobId: string): Promise<boolean> {
      const granted = await services.redis.eval(acquireScript, 1, slotsKey(accountId), Date.now(), leaseMs, jobId, services.mlAccountLimits.concurrency);
      return granted === 1;
    },
    async release(accountId: string, jobId: string): Promise<void> {
      await services.redis.zrem(slotsKey(accountId), jobId);
    },
    /** Counts one ML call; returns how long to wait (ms) when the account's window is full, else 0. */
    async takeCall(accountId: string): Promise<number> {
      const now = Date.now();
      const window = Math.floor(now / 1000);
      const count = Number(await services.redis.eval(rateScript, 1, `${services.keyPrefix}:ml-account:${accountId}:rate:${window}`));
      return count > services.mlAccountLimits.ratePerSecond ? (window + 1) * 1000 - now : 0;
    },
  };
}

/** A short random spread so deferred jobs do not all come back in the same millisecond. */
export function jitter(baseMs: number, spreadMs = baseMs): number {
  return baseMs + Math.random() * spreadMs;
}
