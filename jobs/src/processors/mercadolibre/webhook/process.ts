import { UnrecoverableError } from "bullmq";
import { AppError } from "#core/errors";
import type { MlNotification } from "#core/jobs/ml-notification";
import { isMlFetchedTopic, isMlRecordedTopic } from "#core/jobs/ml-topics";
import { errorFields } from "#core/log";
import { describeParseFailure } from "#core/parse-failure";
import { describeError } from "#core/redact";
import { MlApiError, type MlClient } from "#integrations/mercadolibre";
import { getClaim } from "#integrations/mercadolibre/claims-api";
import { getItem } from "#integrations/mercadolibre/items-api";
import { getOrder, type MlOrderRead } from "#integrations/mercadolibre/orders-api";
import { getQuestion } from "#integrations/mercadolibre/questions-api";
import { getShipment } from "#integrations/mercadolibre/shipments-api";
import {
  claimRow,
  listingRow,
  orderRow,
  parseMlResource,
  questionRow,
  shipmentRow,
  type MlClaim,
  type MlItem,
  type MlQuestion,
  type MlResourceRef,
  type MlShipment,
} from "#integrations/mercadolibre/transform";
import { isMlUnreadableBody, type MlCaller } from "#integrations/mercadolibre/wire";
import { upsertClaim, upsertListing, upsertQuestion, upsertShipment } from "#db/queries/ml-data";
import { failEvent, fetchStartedAt, findAccountByMlUserId, finishEvent, recordDomainEvent, recordFetch, startProcessing, type NotificationFacts } from "#db/queries/webhooks";
import { noteForeignResource } from "../../shared/foreign-resource";
import { storeOrderAndForward } from "#domain/orders/store-order";
import type { JobContext } from "../../types";
import { accountLimits, jitter } from "../../shared/ml-account-limits";
import { resourceLock } from "../../shared/resource-lock";

export type Outcome = "fetched" | "coalesced" | "stale" | "recorded" | "not_found" | "no_account" | "unhandled_topic" | "foreign_resource";

/** Outcomes that end the event `skipped`: nothing of the notification was stored. */
const skippedOutcomes: readonly Outcome[] = ["unhandled_topic", "foreign_resource"];

/** Outcomes whose event row fetchAndStore finished in the statement that recorded the fetch. */
const finishedWithFetch: readonly Outcome[] = ["fetched", "stale", "not_found"];

interface Account {
  id: string;
  userId: string;
  status: string;
  /** When the notified resource's last fetch started, read with the account. */
  fetchStartedAt: Date | null;
}

const resourceKeyOf = (ref: MlResourceRef) => `${ref.kind}:${ref.id}`;

/**
 * One notification, start to finish. The webhook event row follows it: processing (attempt
 * counted), then processed with an outcome, or the error kept and — when BullMQ will not
 * retry — failed. Coalescing: a notification enqueued before the last fetch of its resource
 * started is already reflected, so it completes without calling ML.
 */
export async function processNotification(ctx: JobContext, notification: MlNotification, facts: NotificationFacts, options: { source: string; enqueuedAt: number }): Promise<Outcome> {
  const { services } = ctx;
  const metrics = services.metrics;
  const topicLabel = { topic: notification.topic };
  const ref = parseMlResource(notification.resource);
  // Read on every job, not cached in this process: a connect or disconnect in the Worker must
  // reach every container at once, and the indexed lookup costs less than the ML call it guards.
  // The resource's last fetch comes in the same round trip (the first coalescing check).
  const account = (await findAccountByMlUserId(ctx.db, notification.userId, ref ? resourceKeyOf(ref) : null)) ?? null;
  if (!account) {
    await startProcessing(ctx.db, facts, { jobId: ctx.job.id, source: options.source, enqueuedAt: new Date(options.enqueuedAt) });
    await finishEvent(ctx.db, facts.notificationKey, { status: "skipped", outcome: "no_account" });
    metrics.inc("autoecom_ml_notifications_total", { ...topicLabel, outcome: "no_account" });
    return "no_account";
  }

  const limits = accountLimits(services);
  try {
    await startProcessing(ctx.db, facts, { jobId: ctx.job.id, source: options.source, enqueuedAt: new Date(options.enqueuedAt) });
    let outcome: Outcome;
    if (isMlRecordedTopic(notification.topic)) {
      outcome = "recorded";
    } else if (!isMlFetchedTopic(notification.topic) || !ref) {
      outcome = "unhandled_topic";
    } else {
      outcome = await fetchAndStore(ctx, account, ref, options.enqueuedAt, limits, facts.notificationKey);
    }
    if (!finishedWithFetch.includes(outcome)) await finishEvent(ctx.db, facts.notificationKey, { status: skippedOutcomes.includes(outcome) ? "skipped" : "processed", outcome });
    metrics.inc("autoecom_ml_notifications_total", { ...topicLabel, outcome });
    return outcome;
  } catch (error) {
    if (isDeferral(error)) throw error;
    const permanent = error instanceof UnrecoverableError || (error instanceof AppError && !error.retryable);
    const final = permanent || ctx.job.attempt >= ctx.job.maxAttempts;
    await failEvent(ctx.db, facts.notificationKey, describe(error), final).catch((writeError: unknown) => ctx.log.warn("could not record the webhook failure", errorFields(writeError)));
    if (final) metrics.inc("autoecom_ml_notifications_total", { ...topicLabel, outcome: "failed" });
    throw error;
  }
}

function isDeferral(error: unknown): boolean {
  return error instanceof Error && error.name === "DelayedError";
}

/** What `webhook_events.last_error` keeps, which the API shows: redacted, never SQL parameters. */
function describe(error: unknown): string {
  if (error instanceof MlApiError) return `${error.code} (ML ${error.mlStatus ?? "no answer"}${error.mlError ? ` ${error.mlError}` : ""}): ${describeError(error)}`;
  if (error instanceof AppError) return `${error.code}: ${describeError(error)}`;
  return describeError(error);
}

// `return await ctx.defer(...)` throughout: a bare `return` of the rejecting promise from inside a
// try/finally leaves it unhandled while the finally awaits, and the process treats that as fatal.
async function fetchAndStore(ctx: JobContext, account: Account, ref: MlResourceRef, enqueuedAt: number, limits: ReturnType<typeof accountLimits>, notificationKey: string): Promise<Outcome> {
  const { services } = ctx;
  const resourceKey = resourceKeyOf(ref);
  const covers = (started: Date | null) => started !== null && started.getTime() >= enqueuedAt;
  if (covers(account.fetchStartedAt)) return "coalesced";

  const lock = resourceLock(services, account.id, resourceKey, ctx.job.id);
  if (!(await lock.tryAcquire())) return await ctx.defer(jitter(150, 250), "resource_busy");
  try {
    // The holder before us may have started its fetch after we were enqueued.
    if (covers(await fetchStartedAt(ctx.db, account.id, resourceKey))) return "coalesced";
    const wait = await limits.takeCall(account.id, ctx.job.id);
    if (wait > 0) return await ctx.defer(jitter(wait, 100), "account_rate");
    // The account's concurrency lease is taken only once the budget granted the call: a job waiting for
    // its turn holds none, so it never keeps the account's granted calls waiting behind it.
    if (!(await limits.acquire(account.id, ctx.job.id))) return await ctx.defer(jitter(100, 200), "account_concurrency");
    try {
      return await fetchGranted(ctx, account, ref, resourceKey, notificationKey);
    } finally {
      await limits.release(account.id, ctx.job.id).catch(() => undefined);
    }
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/** The ML call the budget granted, and what it returned stored; runs under the account's lease and the resource's lock. */
async function fetchGranted(ctx: JobContext, account: Account, ref: MlResourceRef, resourceKey: string, notificationKey: string): Promise<Outcome> {
  const { services } = ctx;
  const ml = services.ml;
  if (!ml) throw new AppError("unavailable", "MercadoLibre is not configured in this container.", { retryable: false });

  const startedAt = new Date();
  let fetched: Fetched;
  try {
    fetched = await fetchResource(ml, account.id, ref, ctx.signal);
  } catch (error) {
    if (isMlUnreadableBody(error)) {
      services.metrics.inc("autoecom_ml_calls_total", { kind: ref.kind, status: String(error.status) });
      // ML answered 2xx with a body we cannot read: retrying the same GET will not fix our parser.
      // The log names the fields and keeps a redacted excerpt, so the model can be fixed from it.
      const failure = describeParseFailure(error, error.body);
      ctx.log.warn("ml answered an unexpected body", { kind: ref.kind, paths: failure.paths, sample: failure.sample });
      throw new UnrecoverableError(`Unexpected ${ref.kind} body from MercadoLibre (${failure.summary}).`);
    }
    services.metrics.inc("autoecom_ml_calls_total", { kind: ref.kind, status: String(error instanceof MlApiError ? (error.mlStatus ?? "error") : "error") });
    // The budget owns ML's 429 (the call was not retried in the client): it has slowed down (and
    // paused for any Retry-After), so the job waits its turn again without spending an attempt.
    if (error instanceof MlApiError && error.mlStatus === 429) return await ctx.defer(jitter(250, 500), "ml_rate_limited");
    if (error instanceof MlApiError && error.mlStatus === 404) {
      // Deleted or never visible to this seller: nothing to store, and retrying cannot change it.
      await recordFetch(ctx.db, account.id, resourceKey, startedAt, 404, { notificationKey, status: "processed", outcome: "not_found" });
      return "not_found";
    }
    throw error;
  }
  services.metrics.inc("autoecom_ml_calls_total", { kind: ref.kind, status: String(fetched.status) });
  let applied: boolean;
  try {
    applied = await store(ctx, account, fetched, startedAt);
  } catch (error) {
    // A forged or misrouted notification: the resource exists, but ML does not say it is this seller's.
    if (noteForeignResource(ctx, account.id, error, "webhook")) return "foreign_resource";
    throw error;
  }
  const outcome = applied ? "fetched" : "stale";
  await recordFetch(ctx.db, account.id, resourceKey, startedAt, fetched.status, { notificationKey, status: "processed", outcome });
  return outcome;
}

/** A notified resource as its endpoint module parsed it; the status is ML's (206 for a partial order). */
type Fetched = { status: number } & (
  { kind: "orders"; data: MlOrderRead } | { kind: "items"; data: MlItem } | { kind: "questions"; data: MlQuestion } | { kind: "claims"; data: MlClaim } | { kind: "shipments"; data: MlShipment }
);

async function fetchResource(ml: MlClient, accountId: string, ref: MlResourceRef, signal: AbortSignal): Promise<Fetched> {
  const account = ml.forAccount(accountId);
  // Paced by the application's call budget: a 429 comes straight back for the budget to take, instead
  // of being repeated in the client outside the budget while the job holds the account's lease.
  const client: MlCaller = { request: (method, path, options) => account.request(method, path, { ...options, retryRateLimited: false }) };
  const options = { signal };
  switch (ref.kind) {
    case "orders": {
      const read = await getOrder(client, ref.id, options);
      return { kind: "orders", status: read.status, data: read };
    }
    case "items":
      return { kind: "items", status: 200, data: await getItem(client, ref.id, options) };
    case "questions":
      return { kind: "questions", status: 200, data: await getQuestion(client, ref.id, options) };
    case "claims":
      return { kind: "claims", status: 200, data: await getClaim(client, ref.id, options) };
    case "shipments":
      return { kind: "shipments", status: 200, data: await getShipment(client, ref.id, options) };
  }
}

/** Writes what ML returned; false when our row already held a newer state. */
async function store(ctx: JobContext, account: Account, fetched: Fetched, fetchedAt: Date): Promise<boolean> {
  switch (fetched.kind) {
    case "orders":
      // 206: ML could not load some parts; the upsert keeps what an earlier full answer gave.
      return await storeOrderAndForward({ ctx: ctx, input: { accountId: account.id, row: orderRow(fetched.data.order, fetchedAt, fetched.data.missingFields) } });
    case "items":
      return (await upsertListing(ctx.db, account.id, listingRow(fetched.data, fetchedAt))).applied;
    case "questions": {
      const row = questionRow(fetched.data, fetchedAt);
      const result = await upsertQuestion(ctx.db, account.id, row);
      if (result.inserted) {
        await recordDomainEvent(ctx.db, {
          userId: account.userId,
          accountId: account.id,
          type: "question.received",
          subjectId: String(row.mlQuestionId),
          payload: { questionId: row.mlQuestionId, itemId: row.mlItemId, status: row.status, text: row.text, buyerId: row.buyerId },
          occurredAt: row.mlDateCreated ?? fetchedAt,
        });
      }
      return result.applied;
    }
    case "claims":
      return (await upsertClaim(ctx.db, account.id, claimRow(fetched.data, fetchedAt))).applied;
    case "shipments":
      return (await upsertShipment(ctx.db, account.id, shipmentRow(fetched.data, fetchedAt))).applied;
  }
}
