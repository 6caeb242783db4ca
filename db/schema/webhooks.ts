import { bigint, index, integer, jsonb, pgEnum, pgTable, primaryKey, smallint, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { lifecycle, primaryId, utc } from "./columns";
import { mlAccounts } from "./ml-accounts";
import { users } from "./users";

/**
 * received:   accepted at the edge (rows are only written once the jobs side sees it)
 * enqueued:   in BullMQ, waiting for its coalescing delay or a worker
 * processing: a worker is on it (or was, and it will retry: see `attempts`/`last_error`)
 * processed:  done: fetched, coalesced into another fetch, or recorded
 * failed:     retries exhausted or a permanent error; replayable
 * skipped:    well-formed but nothing to do (account gone, topic not handled)
 */
export const webhookEventStatus = pgEnum("webhook_event_status", ["received", "enqueued", "processing", "processed", "failed", "skipped"]);
export type WebhookEventStatus = (typeof webhookEventStatus.enumValues)[number];

/**
 * One row per ML notification, keyed by the same idempotency key the BullMQ jobId is derived
 * from (core/jobs/ml-notification.ts), so ML's retries, QStash redeliveries and missed-feed
 * re-reads all land on the one row. `user_id` is copied from the account so the tenant-scoped
 * list is one index range scan.
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: primaryId(),
    notificationKey: text("notification_key").notNull(),
    mlNotificationId: text("ml_notification_id"),
    accountId: uuid("account_id").references(() => mlAccounts.id, { onDelete: "cascade" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    mlUserId: bigint("ml_user_id", { mode: "number" }).notNull(),
    topic: text("topic").notNull(),
    resource: text("resource").notNull(),
    actions: text("actions").array().notNull().default([]),
    status: webhookEventStatus("status").notNull().default("received"),
    /** fetched | coalesced | recorded | not_found | stale | no_account | unhandled_topic */
    outcome: text("outcome"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    /** webhook | missed_feed | replay */
    source: text("source").notNull().default("webhook"),
    traceId: text("trace_id"),
    jobId: text("job_id"),
    replayCount: smallint("replay_count").notNull().default(0),
    mlSentAt: utc("ml_sent_at"),
    mlReceivedAt: utc("ml_received_at"),
    mlAttempts: integer("ml_attempts"),
    enqueuedAt: utc("enqueued_at"),
    processedAt: utc("processed_at"),
    failedAt: utc("failed_at"),
    ...lifecycle,
  },
  (t) => [
    uniqueIndex("webhook_events_notification_key_key").on(t.notificationKey),
    index("webhook_events_user_created_idx").on(t.userId, t.createdAt, t.id),
    index("webhook_events_user_status_idx").on(t.userId, t.status, t.createdAt),
    index("webhook_events_account_resource_idx").on(t.accountId, t.resource),
  ],
);

/**
 * When the last fetch of each ML resource *started*. A notification enqueued before that
 * moment is already reflected in our copy: that comparison is what coalesces bursts
 * (created → paid → shipped in one second) into one GET.
 */
export const webhookResourceFetches = pgTable(
  "webhook_resource_fetches",
  {
    accountId: uuid("account_id")
      .notNull()
      .references(() => mlAccounts.id, { onDelete: "cascade" }),
    /** `<kind>:<ml id>`, e.g. `orders:2000009713473608`. */
    resourceKey: text("resource_key").notNull(),
    fetchStartedAt: utc("fetch_started_at").notNull(),
    lastStatus: smallint("last_status").notNull(),
    fetches: integer("fetches").notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.resourceKey] })],
);

/**
 * Facts other features react to (e.g. `question.received` → auto-answer, notify the seller).
 * Unique per type and subject, so a question fetched twice is announced once.
 */
export const domainEvents = pgTable(
  "domain_events",
  {
    id: primaryId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    accountId: uuid("account_id").references(() => mlAccounts.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    subjectId: text("subject_id").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    occurredAt: utc("occurred_at").notNull(),
    createdAt: utc("created_at").notNull().defaultNow(),
  },
  (t) => [uniqueIndex("domain_events_type_subject_key").on(t.type, t.subjectId), index("domain_events_user_created_idx").on(t.userId, t.createdAt)],
);

/** Where the reconciliation pass resumes per account (`orders`: ML's order.date_last_updated). */
export const mlReconcileCursors = pgTable(
  "ml_reconcile_cursors",
  {
    accountId: uuid("account_id")
      .notNull()
      .references(() => mlAccounts.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    cursor: utc("cursor").notNull(),
    lastRunAt: utc("last_run_at").notNull(),
    lastFound: integer("last_found").notNull().default(0),
    ...lifecycle,
  },
  (t) => [primaryKey({ columns: [t.accountId, t.kind] })],
);

export type WebhookEvent = typeof webhookEvents.$inferSelect;
export type DomainEvent = typeof domainEvents.$inferSelect;
