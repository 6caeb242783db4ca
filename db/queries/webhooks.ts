import { and, desc, eq, lt, ne, or, sql, type SQL } from "drizzle-orm";
import type { Database } from "../database";
import { domainEvents, mlAccounts, mlReconcileCursors, webhookEvents, webhookResourceFetches, type WebhookEvent, type WebhookEventStatus } from "../schema";

/** The fields of a notification the event row keeps (see core/jobs/ml-notification.ts). */
export interface NotificationFacts {
  notificationKey: string;
  mlNotificationId: string | null;
  mlUserId: string;
  topic: string;
  resource: string;
  actions: string[];
  mlSentAt: string;
  mlReceivedAt: string | null;
  mlAttempts: number;
}

const accountOf = (mlUserId: string) => sql`(select ${mlAccounts.id} from ${mlAccounts} where ${mlAccounts.mlUserId} = ${mlUserId}::bigint)`;
const userOf = (mlUserId: string) => sql`(select ${mlAccounts.userId} from ${mlAccounts} where ${mlAccounts.mlUserId} = ${mlUserId}::bigint)`;

function baseValues(facts: NotificationFacts) {
  return {
    notificationKey: facts.notificationKey,
    mlNotificationId: facts.mlNotificationId,
    accountId: accountOf(facts.mlUserId),
    userId: userOf(facts.mlUserId),
    mlUserId: Number(facts.mlUserId),
    topic: facts.topic,
    resource: facts.resource,
    actions: facts.actions,
    mlSentAt: new Date(facts.mlSentAt),
    mlReceivedAt: facts.mlReceivedAt === null ? null : new Date(facts.mlReceivedAt),
    mlAttempts: facts.mlAttempts,
  };
}

/**
 * Written by the ingress once BullMQ holds the job. A redelivery of the same notification
 * finds the row and leaves it alone: its state belongs to the processor by then.
 */
export async function recordEnqueued(db: Database, facts: NotificationFacts, meta: EnqueuedMeta): Promise<void> {
  await recordEnqueuedMany(db, [{ facts, meta }]);
}

export interface EnqueuedMeta {
  jobId: string;
  traceId: string | null;
  source: string;
  at: Date;
}

/** Several `recordEnqueued` in one statement (the ingress batches concurrent deliveries); a key twice in one batch keeps the first. */
export async function recordEnqueuedMany(db: Database, entries: ReadonlyArray<{ facts: NotificationFacts; meta: EnqueuedMeta }>): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insert(webhookEvents)
    .values(entries.map(({ facts, meta }) => ({ ...baseValues(facts), status: "enqueued" as const, jobId: meta.jobId, traceId: meta.traceId, source: meta.source, enqueuedAt: meta.at })))
    .onConflictDoNothing({ target: webhookEvents.notificationKey });
}

/** The processor's first write on every attempt; creates the row when the ingress did not (missed feeds, Redis-side adds). */
export async function startProcessing(
  db: Database,
  facts: NotificationFacts,
  meta: { jobId: string; source: string; enqueuedAt: Date },
): Promise<{ id: string; accountId: string | null; userId: string | null }> {
  const [row] = await db
    .insert(webhookEvents)
    .values({ ...baseValues(facts), status: "processing", attempts: 1, jobId: meta.jobId, source: meta.source, enqueuedAt: meta.enqueuedAt })
    .onConflictDoUpdate({
      target: webhookEvents.notificationKey,
      set: {
        status: "processing",
        attempts: sql`${webhookEvents.attempts} + 1`,
        accountId: sql`coalesce(${webhookEvents.accountId}, excluded.account_id)`,
        userId: sql`coalesce(${webhookEvents.userId}, excluded.user_id)`,
        jobId: sql`excluded.job_id`,
        updatedAt: sql`now()`,
      },
    })
    .returning({ id: webhookEvents.id, accountId: webhookEvents.accountId, userId: webhookEvents.userId });
  return row!;
}

export interface FinishedEvent {
  status: Extract<WebhookEventStatus, "processed" | "skipped">;
  outcome: string;
}

const finishedValues = (result: FinishedEvent) => ({ status: result.status, outcome: result.outcome, lastError: null, processedAt: sql`now()`, updatedAt: sql`now()` });

export async function finishEvent(db: Database, notificationKey: string, result: FinishedEvent): Promise<void> {
  await db.update(webhookEvents).set(finishedValues(result)).where(eq(webhookEvents.notificationKey, notificationKey));
}

/** `final` is false while BullMQ will retry: the row stays `processing` with the error visible. */
export async function failEvent(db: Database, notificationKey: string, error: string, final: boolean): Promise<void> {
  await db
    .update(webhookEvents)
    .set({
      lastError: error.slice(0, 2000),
      updatedAt: sql`now()`,
      ...(final ? { status: "failed" as const, failedAt: sql`now()` } : {}),
    })
    .where(and(eq(webhookEvents.notificationKey, notificationKey), ne(webhookEvents.status, "processed")));
}

export interface EventFilters {
  status?: WebhookEventStatus | undefined;
  topic?: string | undefined;
  accountId?: string | undefined;
  /** The last id of the previous page: ids are UUIDv7, so id order is creation order. */
  before?: string | undefined;
  limit: number;
}

/** Tenant-scoped: only rows whose account belongs to `userId`. Newest first, keyset paginated. */
export async function listEventsForUser(db: Database, userId: string, filters: EventFilters): Promise<WebhookEvent[]> {
  const conditions: SQL[] = [eq(webhookEvents.userId, userId)];
  if (filters.status) conditions.push(eq(webhookEvents.status, filters.status));
  if (filters.topic) conditions.push(eq(webhookEvents.topic, filters.topic));
  if (filters.accountId) conditions.push(eq(webhookEvents.accountId, filters.accountId));
  if (filters.before) conditions.push(lt(webhookEvents.id, filters.before));
  return db
    .select()
    .from(webhookEvents)
    .where(and(...conditions))
    .orderBy(desc(webhookEvents.id))
    .limit(filters.limit);
}

export async function findEventForUser(db: Database, userId: string, id: string): Promise<WebhookEvent | undefined> {
  const [row] = await db
    .select()
    .from(webhookEvents)
    .where(and(eq(webhookEvents.id, id), eq(webhookEvents.userId, userId)))
    .limit(1);
  return row;
}

/**
 * Claims a failed event for replay; only one of two concurrent replays gets the row back.
 * The new replay count feeds the replay job's idempotency key.
 */
export async function claimReplay(db: Database, userId: string, id: string): Promise<WebhookEvent | undefined> {
  const [row] = await db
    .update(webhookEvents)
    .set({ status: "enqueued", source: "replay", replayCount: sql`${webhookEvents.replayCount} + 1`, lastError: null, enqueuedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(webhookEvents.id, id), eq(webhookEvents.userId, userId), eq(webhookEvents.status, "failed")))
    .returning();
  return row;
}

/** Undoes a claim whose publish failed, so the user can try again. */
export async function unclaimReplay(db: Database, id: string, error: string): Promise<void> {
  await db
    .update(webhookEvents)
    .set({ status: "failed", lastError: error, updatedAt: sql`now()` })
    .where(eq(webhookEvents.id, id));
}

export async function findEventByKey(db: Database, notificationKey: string): Promise<WebhookEvent | undefined> {
  const [row] = await db.select().from(webhookEvents).where(eq(webhookEvents.notificationKey, notificationKey)).limit(1);
  return row;
}

export async function findEventById(db: Database, id: string): Promise<WebhookEvent | undefined> {
  const [row] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, id)).limit(1);
  return row;
}

export async function fetchStartedAt(db: Database, accountId: string, resourceKey: string): Promise<Date | null> {
  const [row] = await db
    .select({ at: webhookResourceFetches.fetchStartedAt })
    .from(webhookResourceFetches)
    .where(and(eq(webhookResourceFetches.accountId, accountId), eq(webhookResourceFetches.resourceKey, resourceKey)))
    .limit(1);
  return row?.at ?? null;
}

/**
 * Never moves the stamp backwards: a slow fetch finishing after a faster, later one must not reopen the window.
 * With `finish`, the notification's event is finished in the same statement (one round trip and one commit
 * instead of two, on every fetched notification).
 */
export async function recordFetch(db: Database, accountId: string, resourceKey: string, startedAt: Date, status: number, finish?: { notificationKey: string } & FinishedEvent): Promise<void> {
  const upsert = db
    .insert(webhookResourceFetches)
    .values({ accountId, resourceKey, fetchStartedAt: startedAt, lastStatus: status })
    .onConflictDoUpdate({
      target: [webhookResourceFetches.accountId, webhookResourceFetches.resourceKey],
      set: {
        fetchStartedAt: sql`greatest(${webhookResourceFetches.fetchStartedAt}, excluded.fetch_started_at)`,
        lastStatus: sql`excluded.last_status`,
        fetches: sql`${webhookResourceFetches.fetches} + 1`,
      },
    });
  if (!finish) {
    await upsert;
    return;
  }
  const fetch = db.$with("fetch").as(upsert.returning({ accountId: webhookResourceFetches.accountId }));
  await db
    .with(fetch)
    .update(webhookEvents)
    .set(finishedValues(finish))
    .where(and(eq(webhookEvents.notificationKey, finish.notificationKey), sql`exists (select 1 from ${fetch})`));
}

/** Idempotent per (type, subject): true only for the call that recorded it. */
export async function recordDomainEvent(
  db: Database,
  event: { userId: string; accountId: string; type: string; subjectId: string; payload: Record<string, unknown>; occurredAt: Date },
): Promise<boolean> {
  const rows = await db
    .insert(domainEvents)
    .values(event)
    .onConflictDoNothing({ target: [domainEvents.type, domainEvents.subjectId] })
    .returning({ id: domainEvents.id });
  return rows.length > 0;
}

export async function getReconcileCursor(db: Database, accountId: string, kind: string): Promise<Date | null> {
  const [row] = await db
    .select({ cursor: mlReconcileCursors.cursor })
    .from(mlReconcileCursors)
    .where(and(eq(mlReconcileCursors.accountId, accountId), eq(mlReconcileCursors.kind, kind)))
    .limit(1);
  return row?.cursor ?? null;
}

export async function saveReconcileCursor(db: Database, accountId: string, kind: string, cursor: Date, found: number): Promise<void> {
  await db
    .insert(mlReconcileCursors)
    .values({ accountId, kind, cursor, lastRunAt: new Date(), lastFound: found })
    .onConflictDoUpdate({
      target: [mlReconcileCursors.accountId, mlReconcileCursors.kind],
      set: { cursor: sql`greatest(${mlReconcileCursors.cursor}, excluded.cursor)`, lastRunAt: sql`now()`, lastFound: sql`excluded.last_found`, updatedAt: sql`now()` },
    });
}

/** Accounts the recovery jobs poll: connected and holding a grant. */
export async function activeMlAccounts(db: Database): Promise<Array<{ id: string; userId: string; mlUserId: number }>> {
  return db.select({ id: mlAccounts.id, userId: mlAccounts.userId, mlUserId: mlAccounts.mlUserId }).from(mlAccounts).where(eq(mlAccounts.status, "active"));
}

/** For the edge cache: is this ML user one of our connected sellers? */
export async function isConnectedMlUser(db: Database, mlUserId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: mlAccounts.id })
    .from(mlAccounts)
    .where(and(eq(mlAccounts.mlUserId, Number(mlUserId)), or(eq(mlAccounts.status, "active"), eq(mlAccounts.status, "reauth_required"))))
    .limit(1);
  return row !== undefined;
}

/** Counts per status, for /metrics. */
export async function eventCountsByStatus(db: Database): Promise<Array<{ status: WebhookEventStatus; topic: string; count: number }>> {
  return db
    .select({ status: webhookEvents.status, topic: webhookEvents.topic, count: sql<number>`count(*)::int` })
    .from(webhookEvents)
    .groupBy(webhookEvents.status, webhookEvents.topic);
}

/**
 * The notified seller's account and, in the same round trip, when the last fetch of the notified
 * resource started (null when it never was, or when there is no resource to fetch).
 */
export async function findAccountByMlUserId(
  db: Database,
  mlUserId: string,
  resourceKey: string | null,
): Promise<{ id: string; userId: string; status: string; fetchStartedAt: Date | null } | undefined> {
  const [row] = await db
    .select({ id: mlAccounts.id, userId: mlAccounts.userId, status: mlAccounts.status, fetchStartedAt: webhookResourceFetches.fetchStartedAt })
    .from(mlAccounts)
    .leftJoin(webhookResourceFetches, resourceKey === null ? sql`false` : and(eq(webhookResourceFetches.accountId, mlAccounts.id), eq(webhookResourceFetches.resourceKey, resourceKey)))
    .where(eq(mlAccounts.mlUserId, Number(mlUserId)))
    .limit(1);
  return row;
}
