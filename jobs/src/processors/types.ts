import type { JobName, Payload, QueueName } from "../../../core/jobs/catalog";
import type { Logger } from "../../../core/log";
import type { NodeDb } from "../../../db/client-node";
import type { Enqueue } from "../queues/enqueue";

export interface JobInfo<K extends JobName = JobName> {
  id: string;
  name: K;
  queue: QueueName;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

export interface JobContext<K extends JobName = JobName> {
  job: JobInfo<K>;
  /** Already carries jobId, jobName, queue and attempt. */
  log: Logger;
  db: NodeDb;
  enqueue: Enqueue;
  /** Aborted when shutdown runs out of time; long work should stop and let the job retry. */
  signal: AbortSignal;
}

/**
 * Receives a payload that has already passed the catalog schema. Throw AppError with
 * `retryable: false` (or a 4xx code) for failures a retry cannot fix; anything else retries.
 */
export type Processor<K extends JobName> = (payload: Payload<K>, ctx: JobContext<K>) => Promise<unknown>;

/** Every catalog job mapped to its processor: a complete map is the end state. */
export type Processors = { [K in JobName]: Processor<K> };
