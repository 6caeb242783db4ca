import type { z } from "zod";
import { retentionPayload } from "./maintenance-jobs";
import { mlNotification, mlNotificationKey, mlNotificationWire } from "./ml-notification";
import { mlTokenRefreshKey, mlTokenRefreshPayload, mlTokenSweepPayload } from "./ml-token-jobs";
import { mlSyncKey, mlSyncPayload, mlSyncSchedulePayload } from "./ml-sync-jobs";
import { mlRecoveryPayload, mlWebhookCoalesceMs, mlWebhookReplay, mlWebhookReplayKey } from "./ml-webhook-jobs";
import {
  tinyKeepAlivePayload,
  tinyOrderForwardSweepPayload,
  tinyOrderPushPayload,
  tinyProductSyncKey,
  tinyProductSyncPayload,
  tinyProductSyncSchedulePayload,
  tinyStockPollEveryMs,
  tinyStockPollPayload,
  tinyStockSyncPayload,
  tinyWebhookPayload,
} from "./tiny-jobs";

/**
 * The job contract shared by every producer (the Worker via QStash, the jobs container
 * itself) and the consumer. Runtime-neutral on purpose: it holds names, zod schemas and
 * plain option objects, never BullMQ classes.
 *
 * A job is only added here together with a payload schema that can be justified from
 * the roadmap or a provider document; queues may exist before their jobs do.
 */

/**
 * Queue names from the roadmap (ml-webhook, ml-sync, tinyerp-sync) plus token refresh, and
 * tinyerp-realtime: order forwarding and stock propagation must not wait behind a product
 * sync slice of the one-at-a-time tinyerp-sync queue (the shared Tiny quota still paces both).
 */
export const queueNames = ["ml-webhook", "ml-sync", "tinyerp-sync", "tinyerp-realtime", "ml-token-refresh"] as const;
export type QueueName = (typeof queueNames)[number];

/**
 * Retry and retention defaults, shaped like BullMQ's job options so the jobs container can
 * pass them straight through (core cannot import BullMQ's types). Ages are in seconds.
 */
export interface JobDefaults {
  attempts: number;
  backoff: { type: "exponential" | "fixed"; delay: number; jitter: number };
  removeOnComplete: { age: number; count: number };
  removeOnFail: { age: number; count: number };
  /** Milliseconds before the job becomes runnable (BullMQ `delay`). */
  delay?: number;
}

const hour = 3600;
const day = 24 * hour;
/** Schedules are in milliseconds, like BullMQ's `every`. */
const minuteMs = 60_000;

/** Finished jobs stay a day (a week when failed), bounded by count: long enough for Bull Board and job-id dedup. */
const retain = (count: number) => ({ removeOnComplete: { age: day, count }, removeOnFail: { age: 7 * day, count } });

/** Long sync runs are kept longer: a seller asks about last week's run. */
const retainRuns = { removeOnComplete: { age: 7 * day, count: 5_000 }, removeOnFail: { age: 30 * day, count: 5_000 } };

/** A scheduled sweep retries once after a blip; the next scheduled run is never far away. */
const scheduledSweep = { attempts: 2, backoff: { type: "fixed" as const, delay: 30_000, jitter: 0.5 }, ...retain(500) };

/** The recovery passes (missed feeds, reconciliation) retry a little more: they are what catches lost notifications. */
const recoveryPass = { attempts: 3, backoff: { type: "exponential" as const, delay: 10_000, jitter: 0.5 }, ...retain(500) };

/**
 * Applied by the queues themselves, so jobs that do not come through `enqueue` (a retry
 * or "add" from Bull Board, future schedulers) still retry and are still trimmed.
 * Jitter spreads retries so a provider outage does not end in a synchronised stampede.
 */
export const baselineJobDefaults: JobDefaults = {
  attempts: 3,
  backoff: { type: "exponential", delay: 1_000, jitter: 0.5 },
  removeOnComplete: { age: day, count: 1_000 },
  removeOnFail: { age: 7 * day, count: 5_000 },
};

/** The provider a recurring job calls; null for our own housekeeping. */
export type ScheduleProvider = "mercadolibre" | "tiny";

export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  queue: QueueName;
  /** The canonical payload: what is stored in Redis and re-validated by the worker. */
  payload: S;
  /** The wire format accepted at the HTTP boundary, normalised into `payload`. Defaults to `payload`. */
  ingress?: z.ZodType<z.output<S>>;
  /**
   * Identifies "the same piece of work" across redeliveries; it becomes the BullMQ jobId.
   * Without it the ingress falls back to the QStash message id.
   */
  idempotencyKey?(payload: z.output<S>): string;
  options: JobDefaults;
  /**
   * Recurring jobs only: the jobs container registers one BullMQ job scheduler per entry that has
   * this, when it is configured for the provider the job needs (a run that can only fail is noise:
   * a failed job, an alert, an error report every period).
   */
  schedule?: { everyMs: number; needs: ScheduleProvider | null };
}

/** Keeps `idempotencyKey`'s parameter typed by the entry's own schema. */
function defineJob<S extends z.ZodType>(definition: JobDefinition<S>): JobDefinition<S> {
  return definition;
}

export const jobs = {
  /**
   * One MercadoLibre notification: the processor GETs `resource` with the seller's token.
   * ML retries for an hour and QStash for longer, so completed jobs are kept for a day:
   * the kept jobId is what turns a redelivery into a no-op. The count cap bounds Redis
   * memory; under a flood it shortens that window rather than growing without limit.
   */
  "ml.webhook": defineJob({
    queue: "ml-webhook",
    payload: mlNotification,
    ingress: mlNotificationWire,
    idempotencyKey: mlNotificationKey,
    options: {
      // 5 s doubling to ~5 min: rides out ML 429s and short outages within about ten minutes.
      attempts: 8,
      backoff: { type: "exponential", delay: 5_000, jitter: 0.5 },
      removeOnComplete: { age: day, count: 50_000 },
      removeOnFail: { age: 7 * day, count: 10_000 },
      // ML sends created/paid/shipped for one order within a second: waiting this long lets
      // the first fetch start after the later notifications arrived, so they coalesce into it.
      delay: mlWebhookCoalesceMs,
    },
  }),
  /** A failed webhook event sent again from the API; the count makes each replay its own job. */
  "ml.webhook.replay": defineJob({
    queue: "ml-webhook",
    payload: mlWebhookReplay,
    idempotencyKey: mlWebhookReplayKey,
    options: {
      attempts: 8,
      backoff: { type: "exponential", delay: 5_000, jitter: 0.5 },
      ...retain(10_000),
    },
  }),
  /**
   * Re-reads ML's /missed_feeds (notifications ML gave up on) for every active account. ML retries
   * a notification for one hour and keeps what it gave up on there for two days; this and the
   * reconciliation put an upper bound on how late a change lands even when no notification arrives.
   */
  "ml.missed-feeds": defineJob({
    queue: "ml-sync",
    payload: mlRecoveryPayload,
    options: recoveryPass,
    schedule: { everyMs: 10 * minuteMs, needs: "mercadolibre" },
  }),
  /** Orders changed since the last cursor, straight from /orders/search. */
  "ml.reconcile": defineJob({
    queue: "ml-sync",
    payload: mlRecoveryPayload,
    options: recoveryPass,
    schedule: { everyMs: 15 * minuteMs, needs: "mercadolibre" },
  }),
  /**
   * One sync run (a row in ml_sync_runs). Retries resume from the run's stored cursor, so a
   * retry costs the ML calls of the page in flight, not of the whole catalogue.
   */
  "ml.sync": defineJob({
    queue: "ml-sync",
    payload: mlSyncPayload,
    idempotencyKey: mlSyncKey,
    options: {
      // 30 s doubling over 5 attempts: rides out ML outages of ~15 minutes, within the scroll-less resume path.
      attempts: 5,
      backoff: { type: "exponential", delay: 30_000, jitter: 0.5 },
      ...retainRuns,
    },
  }),
  /** Starts an incremental (or, when due, full) run per active account; full once a week (docs/ml-sync.md). */
  "ml.sync.schedule": defineJob({
    queue: "ml-sync",
    payload: mlSyncSchedulePayload,
    options: scheduledSweep,
    schedule: { everyMs: 30 * minuteMs, needs: "mercadolibre" },
  }),
  /** Finds accounts to refresh or keep alive and fans out per account (docs/mercadolibre-accounts.md). */
  "ml.tokens.sweep": defineJob({
    queue: "ml-token-refresh",
    payload: mlTokenSweepPayload,
    options: {
      // One quick retry (a Postgres blip); the next sweep comes in 10 minutes anyway. A retried
      // sweep may enqueue an account twice; the token manager's lock makes that harmless.
      ...scheduledSweep,
    },
    schedule: { everyMs: 10 * minuteMs, needs: "mercadolibre" },
  }),
  /** One account's refresh (and keep-alive call); its failure never holds up another account's. */
  "ml.token.refresh": defineJob({
    queue: "ml-token-refresh",
    payload: mlTokenRefreshPayload,
    idempotencyKey: mlTokenRefreshKey,
    options: {
      // 30 s doubling: rides out a short ML outage well within the hour the token has left.
      attempts: 4,
      backoff: { type: "exponential", delay: 30_000, jitter: 0.5 },
      ...retain(10_000),
    },
  }),
  /** Refreshes every active Tiny account well within its 1-day refresh lifetime (docs/tiny.md). */
  "tinyerp.tokens.keepalive": defineJob({
    queue: "tinyerp-sync",
    payload: tinyKeepAlivePayload,
    options: {
      // A retry only sees accounts still due (the refreshed ones are fresh again); the next sweep is 30 min away anyway.
      attempts: 2,
      backoff: { type: "exponential", delay: 10_000, jitter: 0.5 },
      ...retain(500),
    },
    schedule: { everyMs: 30 * minuteMs, needs: "tiny" },
  }),
  /**
   * One ML → Tiny product sync run. It spends the company's shared Tiny quota (~30 writes a
   * minute), so a large catalogue takes a long time; retries resume from the run's cursor.
   */
  "tinyerp.products.sync": defineJob({
    queue: "tinyerp-sync",
    payload: tinyProductSyncPayload,
    idempotencyKey: tinyProductSyncKey,
    options: {
      attempts: 5,
      backoff: { type: "exponential", delay: 30_000, jitter: 0.5 },
      ...retainRuns,
    },
  }),
  /** Daily: starts a product sync for every account whose user has exactly one active Tiny account; it runs in time slices. */
  "tinyerp.products.sync.schedule": defineJob({
    queue: "tinyerp-sync",
    payload: tinyProductSyncSchedulePayload,
    options: {
      attempts: 2,
      backoff: { type: "fixed", delay: 60_000, jitter: 0.5 },
      ...retain(500),
    },
    schedule: { everyMs: 24 * 60 * minuteMs, needs: "tiny" },
  }),
  /** One ML order into Tiny; retried while its outcome is unknown or Tiny is unavailable. */
  "tinyerp.order.push": defineJob({
    queue: "tinyerp-realtime",
    payload: tinyOrderPushPayload,
    options: {
      // 30 s doubling over 6 attempts (~30 min): outlasts a Tiny outage and the push lease (2 min).
      attempts: 6,
      backoff: { type: "exponential", delay: 30_000, jitter: 0.5 },
      ...retain(10_000),
    },
  }),
  /**
   * Enqueues a push for paid ML orders that have none yet, and for pushes that still owe Tiny a
   * step: the forwarding safety net (docs/tiny.md, "Forwarding").
   */
  "tinyerp.orders.forward.sweep": defineJob({
    queue: "tinyerp-realtime",
    payload: tinyOrderForwardSweepPayload,
    options: recoveryPass,
    schedule: { everyMs: 5 * minuteMs, needs: "tiny" },
  }),
  /** One Tiny webhook: a hint of what changed, re-read from Tiny before anything is written. */
  "tinyerp.webhook": defineJob({
    queue: "tinyerp-realtime",
    payload: tinyWebhookPayload,
    options: { attempts: 5, backoff: { type: "exponential", delay: 5_000, jitter: 0.5 }, ...retain(20_000) },
  }),
  /** Tiny stock → ML listings for some or all linked products of one account. */
  "tinyerp.stock.sync": defineJob({
    queue: "tinyerp-realtime",
    payload: tinyStockSyncPayload,
    options: {
      // 5 s doubling: rides out a quota block (Tiny's window is a minute) well inside the 60 s goal's spirit.
      attempts: 6,
      backoff: { type: "exponential", delay: 5_000, jitter: 0.5 },
      ...retain(20_000),
    },
  }),
  /** Re-reads the least recently read linked products of every account: the webhooks Tiny never sent (docs/tiny-stock.md, "Polling"). */
  "tinyerp.stock.poll": defineJob({
    queue: "tinyerp-realtime",
    payload: tinyStockPollPayload,
    options: scheduledSweep,
    schedule: { everyMs: tinyStockPollEveryMs, needs: "tiny" },
  }),
  /**
   * Daily: deletes ended sessions and settled webhook events past their age, in
   * bounded batches (docs/webhooks.md, "Retention"). On ml-sync, the queue of database-heavy
   * sweeps, rather than a queue of its own: it runs for seconds a day.
   */
  "maintenance.retention": defineJob({
    queue: "ml-sync",
    payload: retentionPayload,
    options: scheduledSweep,
    schedule: { everyMs: 24 * 60 * minuteMs, needs: null },
  }),
} as const;

export type JobCatalog = typeof jobs;
export type JobName = keyof JobCatalog;
export type Payload<K extends JobName> = z.output<JobCatalog[K]["payload"]>;

export const jobNames = Object.keys(jobs) as JobName[];

/** Every recurring job with its period, read by the jobs container's schedulers. */
export const scheduledJobs = jobNames.flatMap((name) => {
  const { queue, schedule } = jobs[name] as JobDefinition;
  return schedule ? [{ name, queue, everyMs: schedule.everyMs, needs: schedule.needs }] : [];
});

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobs, name);
}

export function jobNamesOf(queue: QueueName): JobName[] {
  return jobNames.filter((name) => jobs[name].queue === queue);
}

/** The schema the HTTP boundary parses with: the wire format when one is declared. */
export function ingressSchema<K extends JobName>(name: K): z.ZodType<Payload<K>> {
  const definition: JobDefinition = jobs[name];
  return (definition.ingress ?? definition.payload) as z.ZodType<Payload<K>>;
}

export function idempotencyKeyOf<K extends JobName>(name: K, payload: Payload<K>): string | undefined {
  const definition = jobs[name] as JobDefinition;
  return definition.idempotencyKey?.(payload);
}
