import type { JobServices } from "../types";
import { mlCallBudget } from "./ml-call-budget";

/**
 * Per-ML-account fairness, shared by every container through Redis:
 * - concurrency: at most N jobs of one account call ML and write what it returned at once (a sorted
 *   set of job ids with expiring leases, so a crashed worker's slot frees itself). A job takes its
 *   lease only once the budget granted its call, so a job waiting for its turn never holds one;
 * - calls: the account's fair share of the application's one ML budget (ml-call-budget.ts): all
 *   of it when the account is the only one calling, an equal part when several are.
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

export function accountLimits(services: Pick<JobServices, "redis" | "keyPrefix" | "mlLimits">) {
  const slotsKey = (accountId: string) => `${services.keyPrefix}:ml-account:${accountId}:slots`;
  const budget = mlCallBudget({ redis: services.redis, keyPrefix: services.keyPrefix, rate: services.mlLimits.appRate });
  return {
    /** True when the job may run now; call `release` when it is done either way. */
    async acquire(accountId: string, jobId: string): Promise<boolean> {
      const granted = await services.redis.eval(acquireScript, 1, slotsKey(accountId), Date.now(), leaseMs, jobId, services.mlLimits.accountConcurrency);
      return granted === 1;
    },
    async release(accountId: string, jobId: string): Promise<void> {
      await services.redis.zrem(slotsKey(accountId), jobId);
    },
    /**
     * Takes one ML call from the account's share; returns how long to wait (ms) when there is none now,
     * else 0. A job that defers itself passes its id to keep its place in the account's line.
     */
    takeCall: (accountId: string, jobId?: string): Promise<number> => budget.take(accountId, jobId),
  };
}

/** A short random spread so deferred jobs do not all come back in the same millisecond. */
export function jitter(baseMs: number, spreadMs = baseMs): number {
  return baseMs + Math.random() * spreadMs;
}
