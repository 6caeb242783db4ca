import { and, asc, desc, eq, gt, inArray, isNotNull, lt, ne, or, sql } from "drizzle-orm";
import type { Database } from "../database";
import {
  mlAccounts,
  mlClaims,
  mlListingChanges,
  mlOrders,
  mlSyncRuns,
  type MlSyncRun,
  type SyncCursor,
  type SyncPhase,
  type SyncPhaseCounts,
  type SyncRunError,
  type SyncRunKind,
  type SyncRunMode,
} from "../schema";

/** A live run that has not written a heartbeat for this long is presumed dead (its job crashed for good). */
export const syncRunStaleAfterMs = 30 * 60_000;
/** Errors kept on a run; the count of failed records lives in `counts`. */
const maxErrorsKept = 50;

/** Kinds that overlap: an `all` run covers listings and orders, so neither may start beside it. */
function overlapping(kind: SyncRunKind): SyncRunKind[] {
  return kind === "all" ? ["all", "listings", "orders"] : [kind, "all"];
}

export type ClaimSyncResult = { created: true; run: MlSyncRun } | { created: false; running: MlSyncRun };

/**
 * Inserts a queued run unless one of an overlapping kind is live. The partial unique index
 * decides races between identical kinds; the overlap check before it is what keeps a
 * `listings` run from starting beside an `all` run. Runs silent for too long are failed
 * first, so a job lost for good never blocks the account.
 */
export async function claimSyncSlot(
  db: Database,
  input: { accountId: string; kind: SyncRunKind; mode: SyncRunMode; trigger: string; requestedBy: string | null; since: Date | null; now: Date },
): Promise<ClaimSyncResult> {
  await db
    .update(mlSyncRuns)
    .set({ status: "failed", lastError: "No progress for 30 minutes; presumed lost.", finishedAt: input.now, updatedAt: input.now })
    .where(and(eq(mlSyncRuns.accountId, input.accountId), inArray(mlSyncRuns.status, ["queued", "running"]), lt(mlSyncRuns.heartbeatAt, new Date(input.now.getTime() - syncRunStaleAfterMs))));
  const live = async () =>
    (
      await db
        .select()
        .from(mlSyncRuns)
        .where(and(eq(mlSyncRuns.accountId, input.accountId), inArray(mlSyncRuns.kind, overlapping(input.kind)), inArray(mlSyncRuns.status, ["queued", "running"])))
        .orderBy(asc(mlSyncRuns.createdAt))
        .limit(1)
    )[0];
  const existing = await live();
  if (existing) return { created: false, running: existing };
  const [row] = await db
    .insert(mlSyncRuns)
    .values({
      accountId: input.accountId,
      kind: input.kind,
      mode: input.mode,
      trigger: input.trigger,
      requestedBy: input.requestedBy,
      since: input.since,
      heartbeatAt: input.now,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .onConflictDoNothing()
    .returning();
  if (row) return { created: true, run: row };
  const winner = await live();
  if (!winner) throw new Error("sync run conflict without a live run");
  return { created: false, running: winner };
}

export async function findSyncRun(db: Database, id: string): Promise<MlSyncRun | undefined> {
  const [row] = await db.select().from(mlSyncRuns).where(eq(mlSyncRuns.id, id)).limit(1);
  return row;
}

/** Tenant-scoped: another user's run id finds nothing. */
export async function findSyncRunOfUser(db: Database, userId: string, id: string): Promise<MlSyncRun | undefined> {
  const [row] = await db
    .select({ run: mlSyncRuns })
    .from(mlSyncRuns)
    .innerJoin(mlAccounts, eq(mlAccounts.id, mlSyncRuns.accountId))
    .where(and(eq(mlSyncRuns.id, id), eq(mlAccounts.userId, userId)))
    .limit(1);
  return row?.run;
}

/** The job picked the run up: running, one more attempt. Null when the run is already finished. */
export async function startSyncRun(db: Database, id: string, jobId: string, now: Date): Promise<MlSyncRun | null> {
  const [row] = await db
    .update(mlSyncRuns)
    .set({
      status: "running",
      jobId,
      attempts: sql`${mlSyncRuns.attempts} + 1`,
      startedAt: sql`coalesce(${mlSyncRuns.startedAt}, ${now})`,
      heartbeatAt: now,
      updatedAt: now,
    })
    .where(and(eq(mlSyncRuns.id, id), inArray(mlSyncRuns.status, ["queued", "running"])))
    .returning();
  return row ?? null;
}

/** Persists the position after a committed page, with the counters and progress. */
export async function saveSyncProgress(
  db: Database,
  id: string,
  progress: { cursor: SyncCursor; counts: Partial<Record<SyncPhase, SyncPhaseCounts>>; percent: number; apiCalls: number; newErrors: SyncRunError[]; now: Date },
): Promise<void> {
  await db
    .update(mlSyncRuns)
    .set({
      cursor: progress.cursor,
      counts: progress.counts,
      percent: Math.max(0, Math.min(100, Math.floor(progress.percent))),
      apiCalls: progress.apiCalls,
      heartbeatAt: progress.now,
      updatedAt: progress.now,
      ...(progress.newErrors.length
        ? {
            errors: sql`(select coalesce(jsonb_agg(e), '[]'::jsonb) from (select e from jsonb_array_elements(${mlSyncRuns.errors} || ${JSON.stringify(progress.newErrors)}::jsonb) e offset greatest(0, jsonb_array_length(${mlSyncRuns.errors}) + ${progress.newErrors.length} - ${maxErrorsKept})) kept)`,
          }
        : {}),
    })
    .where(eq(mlSyncRuns.id, id));
}

export async function finishSyncRun(db: Database, id: string, now: Date): Promise<void> {
  const [run] = await db
    .update(mlSyncRuns)
    .set({ status: "succeeded", percent: 100, finishedAt: now, heartbeatAt: now, updatedAt: now, lastError: null })
    .where(eq(mlSyncRuns.id, id))
    .returning({ accountId: mlSyncRuns.accountId });
  if (run) await db.update(mlAccounts).set({ lastSyncAt: now, updatedAt: now }).where(eq(mlAccounts.id, run.accountId));
}

/** A failed attempt: `final` ends the run; otherwise it waits (queued) for the job's retry, cursor kept. */
export async function failSyncRun(db: Database, id: string, error: SyncRunError, final: boolean, now: Date): Promise<void> {
  await db
    .update(mlSyncRuns)
    .set({
      status: final ? "failed" : "queued",
      lastError: error.message,
      errors: sql`(select coalesce(jsonb_agg(e), '[]'::jsonb) from (select e from jsonb_array_elements(${mlSyncRuns.errors} || ${JSON.stringify([error])}::jsonb) e offset greatest(0, jsonb_array_length(${mlSyncRuns.errors}) + 1 - ${maxErrorsKept})) kept)`,
      heartbeatAt: now,
      updatedAt: now,
      ...(final ? { finishedAt: now } : {}),
    })
    .where(eq(mlSyncRuns.id, id));
}

/** Where an incremental pass starts: when the last successful run covering `phase` started. */
export async function lastSuccessfulSyncStart(db: Database, accountId: string, phase: SyncPhase): Promise<Date | null> {
  const kinds: SyncRunKind[] = phase === "listings" ? ["listings", "all"] : phase === "orders" ? ["orders", "all"] : ["all"];
  const [row] = await db
    .select({ startedAt: mlSyncRuns.startedAt })
    .from(mlSyncRuns)
    .where(and(eq(mlSyncRuns.accountId, accountId), eq(mlSyncRuns.status, "succeeded"), inArray(mlSyncRuns.kind, kinds), isNotNull(mlSyncRuns.startedAt)))
    .orderBy(desc(mlSyncRuns.startedAt))
    .limit(1);
  return row?.startedAt ?? null;
}

/** When the last successful full `all` run of the account started (the scheduler's full-sync clock). */
export async function lastFullSyncStart(db: Database, accountId: string): Promise<Date | null> {
  const [row] = await db
    .select({ startedAt: mlSyncRuns.startedAt })
    .from(mlSyncRuns)
    .where(and(eq(mlSyncRuns.accountId, accountId), eq(mlSyncRuns.status, "succeeded"), eq(mlSyncRuns.mode, "full"), inArray(mlSyncRuns.kind, ["all", "listings"])))
    .orderBy(desc(mlSyncRuns.startedAt))
    .limit(1);
  return row?.startedAt ?? null;
}

/**
 * Orders we hold that a full pass did not see again: ML hides cancelled orders from seller
 * searches, so these are re-read one by one. Keyset by id so the sweep streams.
 */
export async function ordersNotSeenSince(
  db: Database,
  accountId: string,
  options: { fetchedBefore: Date; createdFrom: Date; afterId: string | null; limit: number },
): Promise<{ id: string; mlOrderId: number }[]> {
  return db
    .select({ id: mlOrders.id, mlOrderId: mlOrders.mlOrderId })
    .from(mlOrders)
    .where(
      and(
        eq(mlOrders.accountId, accountId),
        lt(mlOrders.fetchedAt, options.fetchedBefore),
        ne(mlOrders.status, "cancelled"),
        or(gt(mlOrders.mlDateCreated, options.createdFrom), eq(mlOrders.mlDateCreated, options.createdFrom)),
        options.afterId ? gt(mlOrders.id, options.afterId) : undefined,
      ),
    )
    .orderBy(asc(mlOrders.id))
    .limit(options.limit);
}

export async function recordListingChange(db: Database, values: typeof mlListingChanges.$inferInsert): Promise<void> {
  await db.insert(mlListingChanges).values(values);
}

export async function listingChangesOf(db: Database, mlItemId: string) {
  return db.select().from(mlListingChanges).where(eq(mlListingChanges.mlItemId, mlItemId)).orderBy(asc(mlListingChanges.createdAt));
}

/** Claims we hold as open: the claims pass re-reads those the open search no longer lists. */
export async function openClaimIdsOf(db: Database, accountId: string): Promise<number[]> {
  const rows = await db
    .select({ id: mlClaims.mlClaimId })
    .from(mlClaims)
    .where(and(eq(mlClaims.accountId, accountId), eq(mlClaims.status, "opened")));
  return rows.map((row) => row.id);
}
