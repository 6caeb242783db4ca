import type { QueueName } from "#core/jobs/catalog";

/**
 * How each queue's Worker runs. Concurrency is per container; the reasons are the
 * providers' limits, which are per application, not per job.
 */
export interface WorkerSettings {
  concurrency: number;
  /** How long a job may run between lock renewals before BullMQ calls it stalled. */
  lockDurationMs: number;
}

export const workerSettings: Record<QueueName, WorkerSettings> = {
  // One GET per notification, so a job mostly waits (on ML, Redis, Postgres): 32 in flight keep
  // 2 cores busy where 8 left the box half idle (docs/benchmarks.md, webhooks-pipeline). ML's
  // limit is the app-wide call budget and ML_ACCOUNT_CONCURRENCY bounds one seller, not this.
  // The lock is renewed while a job runs, so a short one only shortens how long a crashed
  // container's in-flight notification waits before another worker takes it over.
  "ml-webhook": { concurrency: 32, lockDurationMs: 15_000 },
  // Syncs page through whole catalogues: few at a time, long locks.
  "ml-sync": { concurrency: 2, lockDurationMs: 5 * 60_000 },
  // Tiny allows about 30 requests a minute per ERP account (4/s bursts): one at a time.
  "tinyerp-sync": { concurrency: 1, lockDurationMs: 5 * 60_000 },
  // Order pushes and stock propagation: short jobs; several at once so one slow Tiny call does
  // not hold every order back. The company-wide quota limiter, not this number, paces Tiny.
  "tinyerp-realtime": { concurrency: 4, lockDurationMs: 2 * 60_000 },
  // ML refresh tokens are single-use: two refreshes of one account race, so never in parallel.
  "ml-token-refresh": { concurrency: 1, lockDurationMs: 60_000 },
};
