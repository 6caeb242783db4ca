import type { Redis } from "ioredis";
import type { JobName, Payload, QueueName } from "#core/jobs/catalog";
import type { MlClient, TokenManager } from "#integrations/mercadolibre";
import type { Logger } from "#core/log";
import type { TinyServices } from "#integrations/tiny";
import type { NodeDb } from "#db/client-node";
import type { Enqueue } from "../queues/enqueue";
import type { JobMetrics } from "../runtime/metrics";
import type { MlAppRate } from "./shared/ml-call-budget";

export interface JobInfo<K extends JobName = JobName> {
  id: string;
  name: K;
  queue: QueueName;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  /** When the job was added (ms): work that started after it already reflects whatever triggered it. */
  enqueuedAt: number;
}

/** Built once per container and shared by every job. */
export interface JobServices {
  /** The fail-fast producer connection: per-account limits and other short coordination. */
  redis: Redis;
  /** REDIS_KEY_PREFIX: keys this container writes outside BullMQ start with it. */
  keyPrefix: string;
  /** The one MercadoLibre client; null when the container runs without ML configuration. */
  ml: MlClient | null;
  /** The token manager behind `ml` (token refresh and keep-alive jobs); null like `ml`. */
  mlTokens: TokenManager | null;
  mlAppId: string | null;
  /** ML jobs of one account in flight at once, and the application's adaptive ML call rate (see jobs/README.md). */
  mlLimits: { accountConcurrency: number; appRate: MlAppRate };
  metrics: JobMetrics;
  /** Tiny token manager and client, quota shared through Redis; null without Tiny configuration. */
  tiny: TinyServices | null;
  /** RETENTION_WEBHOOK_EVENTS_DAYS: how long processed and skipped webhook events are kept. */
  retention: { webhookEventsDays: number };
}

export interface JobContext<K extends JobName = JobName> {
  job: JobInfo<K>;
  /** Already carries jobId, jobName, queue and attempt. */
  log: Logger;
  db: NodeDb;
  enqueue: Enqueue;
  /** Aborted when shutdown runs out of time; long work should stop and let the job retry. */
  signal: AbortSignal;
  services: JobServices;
  /** The job's clock, handed on to the rules it runs (`DomainContext.now`). */
  now(): Date;
  /**
   * Puts the job back as delayed without spending an attempt (BullMQ DelayedError), e.g. when
   * its ML account is at its limit. Never returns: the job ends here and runs again later.
   */
  defer(delayMs: number, reason: string): Promise<never>;
  /** BullMQ job progress (Bull Board and `job.progress` show it); long jobs report as they go. */
  progress(value: number | Record<string, unknown>): Promise<void>;
}

/**
 * Receives a payload that has already passed the catalog schema. Throw AppError with
 * `retryable: false` (or a 4xx code) for failures a retry cannot fix; anything else retries.
 */
export type Processor<K extends JobName> = (payload: Payload<K>, ctx: JobContext<K>) => Promise<unknown>;

/** Every catalog job mapped to its processor: a complete map is the end state. */
export type Processors = { [K in JobName]: Processor<K> };
