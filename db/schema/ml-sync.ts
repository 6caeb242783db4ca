import { sql } from "drizzle-orm";
import { bigint, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { lifecycle, primaryId, utc } from "./columns";
import { mlAccounts } from "./ml-accounts";
import { users } from "./users";

/**
 * Sync runs (docs/ml-sync.md). A run is the unit the API starts and the jobs container works
 * through; its `cursor` is written after every page so a crashed or retried job resumes where
 * the last committed page ended instead of starting over (and spending ML calls twice).
 */

export const syncRunKinds = ["listings", "orders", "all"] as const;
export type SyncRunKind = (typeof syncRunKinds)[number];
export const syncRunModes = ["full", "incremental"] as const;
export type SyncRunMode = (typeof syncRunModes)[number];
export const syncRunStatuses = ["queued", "running", "succeeded", "failed"] as const;
export type SyncRunStatus = (typeof syncRunStatuses)[number];

/** Phases a run walks through, in order; `all` is every phase. */
export type SyncPhase = "listings" | "orders" | "questions" | "claims";

export interface SyncPhaseCounts {
  /** Records ML returned. */
  seen: number;
  /** Rows written (new or changed). */
  applied: number;
  /** Rows the upsert refused because we already held a newer state (a webhook got there first). */
  stale: number;
  /** Records that could not be fetched or mapped; details in `errors`. */
  failed: number;
}

export interface SyncRunError {
  at: string;
  phase: SyncPhase | null;
  message: string;
  code?: string;
  /** ML ids the error concerns, when it is about records rather than the whole page. */
  ids?: string[];
}

/**
 * Where a run stands. Only the current phase keeps a position; earlier phases are done.
 * - listings: offset paging (≤1,000 items) or a scan (`scrollId`); `pending` holds the ids of
 *   the page being fetched, so a crash between the search call and the multigets loses nothing.
 * - orders: date windows over `order.date_created`, paged by offset inside each window.
 * - questions: offset paging or scan, like listings.
 */
export interface SyncCursor {
  phase: SyncPhase;
  listings?: {
    mode: "offset" | "scan" | "changed";
    offset: number;
    scrollId: string | null;
    /** Items handled so far; a scan whose scroll expired restarts and skips this many. */
    done: number;
    total: number | null;
    pending: string[];
  };
  orders?: { from: string; to: string; windowStart: string; offset: number; done: number; sweepAfter: string | null; sweepDone: boolean };
  questions?: { mode: "offset" | "scan"; offset: number; scrollId: string | null; done: number; total: number | null };
  claims?: { offset: number };
}

export const mlSyncRuns = pgTable(
  "ml_sync_runs",
  {
    id: primaryId(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => mlAccounts.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: syncRunKinds }).notNull(),
    mode: text("mode", { enum: syncRunModes }).notNull(),
    status: text("status", { enum: syncRunStatuses }).notNull().default("queued"),
    /** api, schedule. */
    trigger: text("trigger").notNull(),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    /** Orders synced from this far back (full) or changes since (incremental). */
    since: utc("since"),
    cursor: jsonb("cursor").$type<SyncCursor>(),
    counts: jsonb("counts").$type<Partial<Record<SyncPhase, SyncPhaseCounts>>>().notNull().default({}),
    percent: integer("percent").notNull().default(0),
    apiCalls: integer("api_calls").notNull().default(0),
    errors: jsonb("errors").$type<SyncRunError[]>().notNull().default([]),
    lastError: text("last_error"),
    jobId: text("job_id"),
    /** Job executions that picked the run up (retries and resumptions included). */
    attempts: integer("attempts").notNull().default(0),
    startedAt: utc("started_at"),
    /** Written with every page; a queued/running run silent for long is presumed dead (see claimSyncSlot). */
    heartbeatAt: utc("heartbeat_at").notNull().defaultNow(),
    finishedAt: utc("finished_at"),
    ...lifecycle,
  },
  (t) => [
    // At most one live run per account and kind: concurrent POSTs race on this, and one wins.
    uniqueIndex("ml_sync_runs_one_live_key")
      .on(t.accountId, t.kind)
      .where(sql`${t.status} in ('queued', 'running')`),
    index("ml_sync_runs_account_created_idx").on(t.accountId, t.createdAt),
  ],
);

/**
 * Every change we make to an ML listing (domain/listings/listing-changes.ts): what, from
 * what to what, why, through which endpoint, and whether ML accepted it.
 */
export const mlListingChanges = pgTable(
  "ml_listing_changes",
  {
    id: primaryId(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => mlAccounts.id, { onDelete: "cascade" }),
    mlItemId: text("ml_item_id").notNull(),
    mlVariationId: bigint("ml_variation_id", { mode: "number" }),
    /** price, available_quantity, status. */
    field: text("field").notNull(),
    oldValue: text("old_value"),
    newValue: text("new_value").notNull(),
    /** Free text from the caller: "tiny stock sync", "repricing rule 12", "manual". */
    reason: text("reason").notNull(),
    /** items_put, user_products_stock. */
    method: text("method").notNull(),
    /** applied, failed. */
    outcome: text("outcome").notNull(),
    error: text("error"),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: utc("created_at").notNull().defaultNow(),
  },
  (t) => [index("ml_listing_changes_item_idx").on(t.mlItemId, t.createdAt), index("ml_listing_changes_account_idx").on(t.accountId, t.createdAt)],
);

export type MlSyncRun = typeof mlSyncRuns.$inferSelect;
export type MlListingChange = typeof mlListingChanges.$inferSelect;
