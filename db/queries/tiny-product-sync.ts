import { and, asc, eq, gt, inArray, lt, ne, sql } from "drizzle-orm";
import { rowsOf, type Database } from "../database";
import {
  mlAccounts,
  mlListingVariations,
  mlListings,
  tinyAccounts,
  tinyProductLinks,
  tinyProductSyncRuns,
  type TinyProductLink,
  type TinyProductSyncCounts,
  type TinyProductSyncProblem,
  type TinyProductSyncRun,
} from "../schema";

/** A live run silent this long is presumed lost (its job failed for good) and stops blocking the account. */
export const productSyncStaleAfterMs = 30 * 60_000;
/** Problems kept on the run row; `counts.problems` has them all. */
export const maxProblemsKept = 200;

export type ClaimProductSyncResult = { created: true; run: TinyProductSyncRun } | { created: false; running: TinyProductSyncRun };

/** Inserts a queued run unless the account has a live one; the partial unique index decides races. */
export async function claimProductSyncRun(
  db: Database,
  input: { userId: string; tinyAccountId: string; trigger: "api" | "schedule"; requestedBy: string | null; now: Date },
): Promise<ClaimProductSyncResult> {
  await db
    .update(tinyProductSyncRuns)
    .set({ status: "failed", lastError: "No progress for 30 minutes; presumed lost.", finishedAt: input.now, updatedAt: input.now })
    .where(
      and(
        eq(tinyProductSyncRuns.tinyAccountId, input.tinyAccountId),
        inArray(tinyProductSyncRuns.status, ["queued", "running"]),
        lt(tinyProductSyncRuns.heartbeatAt, new Date(input.now.getTime() - productSyncStaleAfterMs)),
      ),
    );
  const [row] = await db
    .insert(tinyProductSyncRuns)
    .values({
      userId: input.userId,
      tinyAccountId: input.tinyAccountId,
      trigger: input.trigger,
      requestedBy: input.requestedBy,
      heartbeatAt: input.now,
      createdAt: input.now,
      updatedAt: input.now,
    })
    .onConflictDoNothing()
    .returning();
  if (row) return { created: true, run: row };
  const [live] = await db
    .select()
    .from(tinyProductSyncRuns)
    .where(and(eq(tinyProductSyncRuns.tinyAccountId, input.tinyAccountId), inArray(tinyProductSyncRuns.status, ["queued", "running"])))
    .limit(1);
  if (!live) throw new Error("product sync run conflict without a live run");
  return { created: false, running: live };
}

export async function findProductSyncRun(db: Database, id: string): Promise<TinyProductSyncRun | undefined> {
  const [row] = await db.select().from(tinyProductSyncRuns).where(eq(tinyProductSyncRuns.id, id)).limit(1);
  return row;
}

export async function findProductSyncRunOfUser(db: Database, userId: string, id: string): Promise<TinyProductSyncRun | undefined> {
  const [row] = await db
    .select()
    .from(tinyProductSyncRuns)
    .where(and(eq(tinyProductSyncRuns.id, id), eq(tinyProductSyncRuns.userId, userId)))
    .limit(1);
  return row;
}

/** Marks the run running (again) for one more job execution; undefined when it already finished. */
export async function startProductSyncRun(db: Database, id: string, now: Date): Promise<TinyProductSyncRun | undefined> {
  const [row] = await db
    .update(tinyProductSyncRuns)
    .set({ status: "running", attempts: sql`${tinyProductSyncRuns.attempts} + 1`, startedAt: sql`coalesce(${tinyProductSyncRuns.startedAt}, ${now})`, heartbeatAt: now, updatedAt: now })
    .where(and(eq(tinyProductSyncRuns.id, id), inArray(tinyProductSyncRuns.status, ["queued", "running"])))
    .returning();
  return row;
}

/** After each listing: the cursor, counters and new problems land together, so a resume never counts an item twice. */
export async function saveProductSyncProgress(
  db: Database,
  id: string,
  input: { cursor: string; counts: Partial<TinyProductSyncCounts>; problems: TinyProductSyncProblem[]; now: Date },
): Promise<void> {
  await db
    .update(tinyProductSyncRuns)
    .set({ cursor: input.cursor, counts: input.counts, problems: input.problems.slice(0, maxProblemsKept), heartbeatAt: input.now, updatedAt: input.now })
    .where(eq(tinyProductSyncRuns.id, id));
}

export async function finishProductSyncRun(db: Database, id: string, input: { status: "succeeded" | "failed"; lastError: string | null; now: Date }): Promise<void> {
  await db
    .update(tinyProductSyncRuns)
    .set({ status: input.status, lastError: input.lastError, finishedAt: input.now, heartbeatAt: input.now, updatedAt: input.now })
    .where(and(eq(tinyProductSyncRuns.id, id), ne(tinyProductSyncRuns.status, "succeeded")));
}

export interface SyncListing {
  mlItemId: string;
  title: string;
  price: string | null;
  sellerSku: string | null;
  gtin: string | null;
  variations: { mlVariationId: number; price: string | null; sellerSku: string | null; gtin: string | null; attributes: Array<{ name: string | null; valueName: string | null }> }[];
}

/**
 * One page of the user's sellable listings (closed ones sell nothing) after `afterItemId`, in
 * ml_item_id order — the order the run's cursor follows — each with its variations.
 */
export async function pageListingsForProductSync(db: Database, userId: string, afterItemId: string | null, limit: number): Promise<SyncListing[]> {
  const listings = await db
    .select({ id: mlListings.id, mlItemId: mlListings.mlItemId, title: mlListings.title, price: mlListings.price, sellerSku: mlListings.sellerSku, gtin: mlListings.gtin })
    .from(mlListings)
    .innerJoin(mlAccounts, eq(mlAccounts.id, mlListings.accountId))
    .where(and(eq(mlAccounts.userId, userId), ne(mlListings.status, "closed"), afterItemId ? gt(mlListings.mlItemId, afterItemId) : undefined))
    .orderBy(asc(mlListings.mlItemId))
    .limit(limit);
  if (listings.length === 0) return [];
  const variations = await db
    .select()
    .from(mlListingVariations)
    .where(
      inArray(
        mlListingVariations.listingId,
        listings.map((l) => l.id),
      ),
    )
    .orderBy(asc(mlListingVariations.mlVariationId));
  return listings.map((l) => ({
    mlItemId: l.mlItemId,
    title: l.title,
    price: l.price,
    sellerSku: l.sellerSku,
    gtin: l.gtin,
    variations: variations
      .filter((v) => v.listingId === l.id)
      .map((v) => ({
        mlVariationId: v.mlVariationId,
        price: v.price,
        sellerSku: v.sellerSku,
        gtin: v.gtin,
        attributes: v.attributeCombinations.map((a) => ({ name: a.name, valueName: a.valueName })),
      })),
  }));
}

/**
 * SKUs that more than one of the user's sellable items (a listing without variations, or a
 * variation) carry. Which of them Tiny's product should follow would be a guess, so the sync
 * reports them all. Computed over the whole catalogue, not per page.
 */
export async function duplicateSkusOfUser(db: Database, userId: string): Promise<Set<string>> {
  const result = await db.execute(sql`
    select sku from (
      select l.seller_sku as sku
        from ${mlListings} l join ${mlAccounts} a on a.id = l.account_id
       where a.user_id = ${userId} and l.status <> 'closed' and l.seller_sku is not null
         and not exists (select 1 from ${mlListingVariations} v where v.listing_id = l.id)
      union all
      select v.seller_sku
        from ${mlListingVariations} v join ${mlListings} l on l.id = v.listing_id join ${mlAccounts} a on a.id = l.account_id
       where a.user_id = ${userId} and l.status <> 'closed' and v.seller_sku is not null
    ) s group by sku having count(*) > 1`);
  const rows = rowsOf<{ sku: string }>(result);
  return new Set(rows.map((r) => r.sku));
}

/** The user's links for these listings, keyed `${mlItemId}/${mlVariationId ?? "-"}`. */
export async function linksOfListings(db: Database, userId: string, mlItemIds: string[]): Promise<Map<string, TinyProductLink>> {
  if (mlItemIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(tinyProductLinks)
    .where(and(eq(tinyProductLinks.userId, userId), inArray(tinyProductLinks.mlItemId, mlItemIds)));
  return new Map(rows.map((r) => [linkKey(r.mlItemId, r.mlVariationId), r]));
}

export const linkKey = (mlItemId: string, mlVariationId: number | null) => `${mlItemId}/${mlVariationId ?? "-"}`;

/**
 * Accounts the daily sync covers: active, and the only active Tiny account of their user —
 * with several, which company a listing belongs to is the seller's call, made through the API.
 */
export async function accountsForScheduledProductSync(db: Database): Promise<{ id: string; userId: string }[]> {
  const result = await db.execute(sql`
    select a.id, a.user_id from ${tinyAccounts} a
     where a.status = 'active'
       and (select count(*) from ${tinyAccounts} b where b.user_id = a.user_id and b.status = 'active') = 1
     order by a.id`);
  const rows = rowsOf<{ id: string; user_id: string }>(result);
  return rows.map((r) => ({ id: r.id, userId: r.user_id }));
}
