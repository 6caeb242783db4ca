import type { Redis } from "ioredis";
import { idempotencyKeyOf, jobs, type JobName, type Payload } from "#core/jobs/catalog";
import { jobIdFor } from "#core/jobs/job-id";
import { AppError, fieldErrorsFromIssues } from "#core/errors";
import { uuidv7 } from "#core/ids";
import { isRedisReady } from "../redis";
import { withTimeout } from "#core/timeout";
import type { QueueRegistry } from "./registry";

export interface Producer {
  queues: QueueRegistry;
  /** The fail-fast connection the queues share. */
  connection: Redis;
}

export interface EnqueueResult {
  jobId: string;
  /** True when a job with this id already existed, so nothing new was added. */
  deduplicated: boolean;
}

export type Enqueue = <K extends JobName>(name: K, payload: Payload<K>, options?: EnqueueOptions) => Promise<EnqueueResult>;

export interface EnqueueOptions {
  /** Used when the catalog entry defines no idempotencyKey (e.g. the QStash message id). */
  deduplicationId?: string;
  /** Runnable only after this many ms (spreads fan-out work over a window); overrides the catalog's delay. */
  delayMs?: number;
  /**
   * Merges this add into the job of the same key while that job is pending: one not started yet
   * absorbs it (it will see whatever this add was about), and one running keeps it as its single
   * successor, run after it with the latest payload. Nothing is remembered once the job ends, so
   * unlike a kept jobId this never swallows a later change. Replaces the idempotency key.
   */
  coalesceKey?: string;
}

// Above the producer's 2 s command timeout, so this only fires if BullMQ itself waits.
const redisWaitMs = 3_000;

/**
 * Adds a job with the catalog's options. With an idempotency key the jobId is derived from
 * it, so adding the same work twice leaves one job: BullMQ ignores an add whose jobId
 * exists. The existence check before the add only feeds `deduplicated` (and spares the add);
 * two concurrent adds can both report false, but still only one job is created.
 */
export async function enqueue<K extends JobName>(producer: Producer, name: K, payload: Payload<K>, options: EnqueueOptions = {}): Promise<EnqueueResult> {
  const definition = jobs[name];
  const parsed = definition.payload.safeParse(payload);
  if (!parsed.success) {
    throw new AppError("validation_failed", `Invalid payload for job ${name}.`, {
      fields: fieldErrorsFromIssues("payload", parsed.error.issues),
    });
  }

  // BullMQ waits for a connection that was never ready instead of failing; answer now.
  if (!isRedisReady(producer.connection)) {
    throw new AppError("unavailable", "The job queue is unavailable.", { retryAfterSeconds: 5 });
  }

  const coalescing = options.coalesceKey !== undefined;
  const key = coalescing ? undefined : (idempotencyKeyOf(name, parsed.data as Payload<K>) ?? options.deduplicationId);
  // Our own id when coalescing: BullMQ answers with the pending job's id when it merged the add.
  const jobId = coalescing ? uuidv7() : key === undefined ? undefined : await jobIdFor(name, key);
  const queue = producer.queues[definition.queue];
  try {
    if (key !== undefined && jobId !== undefined) {
      // The job's hash exists while BullMQ keeps the job, whatever its state: one O(1) EXISTS, where
      // getJobState's script searches the wait and active lists (LPOS) for every id that is new.
      const exists = await withTimeout(producer.connection.exists(queue.toKey(jobId)), redisWaitMs, "job lookup");
      if (exists === 1) return { jobId, deduplicated: true };
    }
    const job = await withTimeout(
      queue.add(name, parsed.data, {
        ...definition.options,
        ...(jobId === undefined ? {} : { jobId }),
        ...(options.delayMs === undefined ? {} : { delay: Math.max(0, Math.round(options.delayMs)) }),
        ...(options.coalesceKey === undefined ? {} : { deduplication: { id: options.coalesceKey, keepLastIfActive: true } }),
      }),
      redisWaitMs,
      "job add",
    );
    if (job.id === undefined) throw new Error("BullMQ returned a job without an id");
    return { jobId: job.id, deduplicated: coalescing && job.id !== jobId };
  } catch (error) {
    // A timed-out add may still land; the derived jobId makes the caller's retry harmless.
    throw new AppError("unavailable", "The job queue is unavailable.", { retryAfterSeconds: 5, cause: error });
  }
}

export function createEnqueue(producer: Producer): Enqueue {
  return (name, payload, options) => enqueue(producer, name, payload, options);
}
