import { and, asc, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { rowsOf, type Database } from "../database";
import {
  mlAccounts,
  mlListings,
  mlListingVariations,
  mlOrderItems,
  mlOrders,
  tinyAccounts,
  tinyKitComponents,
  tinyOrderPushes,
  tinyProductLinks,
  tinyProducts,
  tinyStockLevels,
  type TinyDepositStock,
  type TinyStockLevel,
} from "../schema";

/**
 * Tiny → ML stock propagation in SQL: the last stock read per product, kit compositions, what
 * each link last put on ML, and the ML sales Tiny has not posted yet. Tiny is the source of
 * truth; nothing here is ever sent back to Tiny.
 */

export type { TinyStockLevel };

export interface StockLevelWrite {
  tinyProductId: number;
  physical: number;
  reserved: number;
  available: number;
  deposits: TinyDepositStock[];
  /** When the read started. */
  fetchedAt: Date;
}

export async function findStockLevels(db: Database, accountId: string, productIds: number[]): Promise<Map<number, TinyStockLevel>> {
  if (productIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(tinyStockLevels)
    .where(and(eq(tinyStockLevels.accountId, accountId), inArray(tinyStockLevels.tinyProductId, productIds)));
  return new Map(rows.map((r) => [r.tinyProductId, r]));
}

/**
 * Stores a read unless one that started later is already stored (two jobs may read the same
 * product; the older answer must not win). `changed_at` moves only when `available` does.
 * Undefined: a newer read is there, and the job that made it propagates it.
 */
export async function saveStockLevel(db: Database, accountId: string, level: StockLevelWrite): Promise<TinyStockLevel | undefined> {
  const [row] = await db
    .insert(tinyStockLevels)
    .values({
      accountId,
      tinyProductId: level.tinyProductId,
      physical: String(level.physical),
      reserved: String(level.reserved),
      available: String(level.available),
      deposits: level.deposits,
      fetchedAt: level.fetchedAt,
      changedAt: level.fetchedAt,
    })
    .onConflictDoUpdate({
      target: [tinyStockLevels.accountId, tinyStockLevels.tinyProductId],
      set: {
        physical: sql`excluded.physical`,
        reserved: sql`excluded.reserved`,
        available: sql`excluded.available`,
        deposits: sql`excluded.deposits`,
        fetchedAt: sql`excluded.fetched_at`,
        changedAt: sql`case when ${tinyStockLevels.available} = excluded.available then ${tinyStockLevels.changedAt} else excluded.changed_at end`,
      },
      setWhere: sql`${tinyStockLevels.fetchedAt} <= excluded.fetched_at`,
    })
    .returning();
  return row;
}

/** A link whose ML listing (or variation) follows a Tiny product, with what ML showed when last stored. */
export interface StockLink {
  id: string;
  userId: string;
  tinyProductId: number;
  mlItemId: string;
  mlVariationId: number | null;
  linkedAt: Date;
  mlPushedQuantity: number | null;
  mlPushedAt: Date | null;
  stockError: string | null;
  /** The link owner's ML account holding the listing; null when the listing is not in our data. */
  mlAccountId: string | null;
  listingStatus: string | null;
  /** ML's available quantity as last stored: the variation's for a variation link. */
  mlQuantity: number | null;
  /** False when the link names a variation the stored listing does not have. */
  variationFound: boolean;
}

export async function findStockLinks(db: Database, accountId: string, productIds: number[]): Promise<StockLink[]> {
  if (productIds.length === 0) return [];
  const rows = await db
    .select({
      link: tinyProductLinks,
      mlAccountId: mlAccounts.id,
      listingStatus: mlListings.status,
      listingQuantity: mlListings.availableQuantity,
      variationId: mlListingVariations.mlVariationId,
      variationQuantity: mlListingVariations.availableQuantity,
    })
    .from(tinyProductLinks)
    .leftJoin(mlListings, eq(mlListings.mlItemId, tinyProductLinks.mlItemId))
    // Only the link owner's own ML accounts: a listing id is never written through another user's account.
    .leftJoin(mlAccounts, and(eq(mlAccounts.id, mlListings.accountId), eq(mlAccounts.userId, tinyProductLinks.userId)))
    .leftJoin(mlListingVariations, and(eq(mlListingVariations.listingId, mlListings.id), eq(mlListingVariations.mlVariationId, tinyProductLinks.mlVariationId)))
    .where(and(eq(tinyProductLinks.tinyAccountId, accountId), inArray(tinyProductLinks.tinyProductId, productIds)))
    .orderBy(asc(tinyProductLinks.mlItemId), asc(tinyProductLinks.mlVariationId));
  return rows.map(({ link, ...r }) => {
    const owned = r.mlAccountId !== null;
    return {
      id: link.id,
      userId: link.userId,
      tinyProductId: link.tinyProductId,
      mlItemId: link.mlItemId,
      mlVariationId: link.mlVariationId,
      linkedAt: link.linkedAt,
      mlPushedQuantity: link.mlPushedQuantity,
      mlPushedAt: link.mlPushedAt,
      stockError: link.stockError,
      mlAccountId: r.mlAccountId,
      listingStatus: owned ? r.listingStatus : null,
      mlQuantity: owned ? (link.mlVariationId === null ? r.listingQuantity : r.variationQuantity) : null,
      variationFound: link.mlVariationId === null || r.variationId !== null,
    };
  });
}

/**
 * Units of each product that ML has sold and Tiny has not taken out of its stock yet: items of
 * the user's non-cancelled ML orders on any listing linked to the product whose order push to
 * this Tiny account has no stock posting — at any age — or, with no push at all, placed after
 * the link existed and within `since`. ML already took them off the listing that sold them; every listing of
 * the product must show them gone until Tiny's own number does.
 */
export async function pendingSaleUnits(db: Database, accountId: string, productIds: number[], since: Date): Promise<Map<number, number>> {
  if (productIds.length === 0) return new Map();
  const ids = sql.join(
    productIds.map((id) => sql`${id}`),
    sql`, `,
  );
  // A listing's sale counts for the product it is linked to, and — when that product is a kit —
  // for each component, times the component's quantity in the kit: the component's own listings
  // must not offer the units a kit sale took until Tiny posts it.
  const result = await db.execute(sql`
    select product_id as id, sum(units)::float8 as units from (
      select l.tiny_product_id as product_id, i.quantity::numeric as units
      ${pendingSalesFrom(accountId, since)} and l.tiny_product_id in (${ids})
      union all
      select k.component_product_id, i.quantity * k.quantity
      ${pendingSalesFrom(accountId, since, sql`join ${tinyKitComponents} k on k.account_id = l.tiny_account_id and k.kit_product_id = l.tiny_product_id`)}
        and k.component_product_id in (${ids})
    ) pending
    group by product_id`);
  return new Map(rowsOf<{ id: string | number; units: number }>(result).map((r) => [Number(r.id), Number(r.units)]));
}

/**
 * Order items of the user's non-cancelled ML orders on listings linked in this Tiny account whose
 * sale Tiny has not posted. A sale being pushed counts until its stock posting, however old (a
 * failed or unknown push still holds those units in Tiny's eyes as sold-but-not-posted); a sale
 * never pushed counts only inside the window, after the link existed.
 */
function pendingSalesFrom(accountId: string, since: Date, extraJoin = sql``) {
  return sql`
    from ${tinyProductLinks} l
    join ${mlOrderItems} i on i.ml_item_id = l.ml_item_id and i.ml_variation_id is not distinct from l.ml_variation_id
    join ${mlOrders} o on o.id = i.order_id
    join ${mlAccounts} a on a.id = o.account_id and a.user_id = l.user_id
    left join ${tinyOrderPushes} p on p.ml_order_id = o.ml_order_id and p.tiny_account_id = l.tiny_account_id
    ${extraJoin}
    where l.tiny_account_id = ${accountId}
      and o.status not in ('cancelled', 'invalid')
      and (p.id is not null or coalesce(o.ml_date_created, o.created_at) >= greatest(${since.toISOString()}::timestamptz, l.linked_at))
      and p.stock_posted_at is null`;
}

/**
 * What the link now shows on ML. `pushed`: we wrote it (the time always moves); otherwise ML was
 * found already showing it, and the time moves only if the quantity differs from the last one.
 */
export async function recordLinkStock(db: Database, linkId: string, quantity: number, pushed: boolean, now: Date): Promise<void> {
  await db
    .update(tinyProductLinks)
    .set({
      mlPushedQuantity: quantity,
      mlPushedAt: pushed ? now : sql`case when ${tinyProductLinks.mlPushedQuantity} is distinct from ${quantity} then ${now.toISOString()}::timestamptz else ${tinyProductLinks.mlPushedAt} end`,
      stockError: null,
      stockErrorAt: null,
      updatedAt: now,
    })
    .where(eq(tinyProductLinks.id, linkId));
}

/** Why the link's listing could not be brought to Tiny's stock; the time records when this reason first appeared. */
export async function recordLinkStockError(db: Database, linkId: string, message: string, now: Date): Promise<void> {
  await db
    .update(tinyProductLinks)
    .set({
      stockError: message,
      stockErrorAt: sql`case when ${tinyProductLinks.stockError} is distinct from ${message} then ${now.toISOString()}::timestamptz else ${tinyProductLinks.stockErrorAt} end`,
      updatedAt: now,
    })
    .where(eq(tinyProductLinks.id, linkId));
}

/** Product type (K kit, S, V, …) from the catalogue cache; missing when the product was never read. */
export async function findCachedProductTypes(db: Database, accountId: string, productIds: number[]): Promise<Map<number, string | null>> {
  if (productIds.length === 0) return new Map();
  const rows = await db
    .select({ id: tinyProducts.tinyProductId, type: tinyProducts.type })
    .from(tinyProducts)
    .where(and(eq(tinyProducts.accountId, accountId), inArray(tinyProducts.tinyProductId, productIds)));
  return new Map(rows.map((r) => [r.id, r.type]));
}

/** When each kit's composition was last read; kits never read are absent. */
export async function findKitCompositionAges(db: Database, accountId: string, kitIds: number[]): Promise<Map<number, Date>> {
  if (kitIds.length === 0) return new Map();
  const rows = await db
    .select({ kit: tinyKitComponents.kitProductId, fetchedAt: sql<Date>`min(${tinyKitComponents.fetchedAt})`.mapWith(tinyKitComponents.fetchedAt) })
    .from(tinyKitComponents)
    .where(and(eq(tinyKitComponents.accountId, accountId), inArray(tinyKitComponents.kitProductId, kitIds)))
    .groupBy(tinyKitComponents.kitProductId);
  return new Map(rows.map((r) => [r.kit, r.fetchedAt]));
}

export async function replaceKitComponents(db: Database, accountId: string, kitProductId: number, components: Array<{ componentProductId: number; quantity: number }>, fetchedAt: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(tinyKitComponents).where(and(eq(tinyKitComponents.accountId, accountId), eq(tinyKitComponents.kitProductId, kitProductId)));
    if (components.length === 0) return;
    await tx.insert(tinyKitComponents).values(components.map((c) => ({ accountId, kitProductId, componentProductId: c.componentProductId, quantity: String(c.quantity), fetchedAt })));
  });
}

/**
 * Which of these products the stock sync has a reason to read: the linked ones, and the
 * components of linked kits (a component's change moves its kits' stock; Tiny sends webhooks
 * for the component only). `kitsOf` maps a component to its linked kits.
 */
export async function findStockInterest(db: Database, accountId: string, productIds: number[]): Promise<{ linked: Set<number>; kitsOf: Map<number, number[]> }> {
  if (productIds.length === 0) return { linked: new Set(), kitsOf: new Map() };
  const linked = await db
    .selectDistinct({ id: tinyProductLinks.tinyProductId })
    .from(tinyProductLinks)
    .where(and(eq(tinyProductLinks.tinyAccountId, accountId), inArray(tinyProductLinks.tinyProductId, productIds)));
  const kits = await db
    .selectDistinct({ component: tinyKitComponents.componentProductId, kit: tinyKitComponents.kitProductId })
    .from(tinyKitComponents)
    .innerJoin(tinyProductLinks, and(eq(tinyProductLinks.tinyAccountId, tinyKitComponents.accountId), eq(tinyProductLinks.tinyProductId, tinyKitComponents.kitProductId)))
    .where(and(eq(tinyKitComponents.accountId, accountId), inArray(tinyKitComponents.componentProductId, productIds)))
    .orderBy(asc(tinyKitComponents.kitProductId));
  const kitsOf = new Map<number, number[]>();
  for (const k of kits) kitsOf.set(k.component, [...(kitsOf.get(k.component) ?? []), k.kit]);
  return { linked: new Set(linked.map((r) => r.id)), kitsOf };
}

/** One page of the account's linked Tiny products, in id order. */
export async function linkedProductIds(db: Database, accountId: string, afterId: number | null, limit: number): Promise<number[]> {
  const rows = await db
    .selectDistinct({ id: tinyProductLinks.tinyProductId })
    .from(tinyProductLinks)
    .where(and(eq(tinyProductLinks.tinyAccountId, accountId), afterId === null ? undefined : gt(tinyProductLinks.tinyProductId, afterId)))
    .orderBy(asc(tinyProductLinks.tinyProductId))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Active Tiny accounts with at least one link: the ones the stock poll looks after. */
export async function activeAccountsWithLinks(db: Database): Promise<string[]> {
  const rows = await db
    .select({ id: tinyAccounts.id })
    .from(tinyAccounts)
    .where(and(eq(tinyAccounts.status, "active"), sql`exists (select 1 from ${tinyProductLinks} k where k.tiny_account_id = ${tinyAccounts.id})`))
    .orderBy(asc(tinyAccounts.id));
  return rows.map((r) => r.id);
}

/** The linked products read longest ago (never read first), skipping those read since `readBefore`. */
export async function productsDueForPoll(db: Database, accountId: string, options: { readBefore: Date; limit: number }): Promise<number[]> {
  const rows = await db
    .selectDistinct({ id: tinyProductLinks.tinyProductId, fetchedAt: tinyStockLevels.fetchedAt })
    .from(tinyProductLinks)
    .leftJoin(tinyStockLevels, and(eq(tinyStockLevels.accountId, tinyProductLinks.tinyAccountId), eq(tinyStockLevels.tinyProductId, tinyProductLinks.tinyProductId)))
    .where(and(eq(tinyProductLinks.tinyAccountId, accountId), or(isNull(tinyStockLevels.fetchedAt), lt(tinyStockLevels.fetchedAt, options.readBefore))))
    .orderBy(sql`${tinyStockLevels.fetchedAt} asc nulls first`, asc(tinyProductLinks.tinyProductId))
    .limit(options.limit);
  return rows.map((r) => r.id);
}

export interface StoredStockRow extends TinyStockLevel {
  sku: string | null;
  name: string | null;
  unit: string | null;
}

/** The stock the sync last read for an account, product by product: what `GET /tinyerp/inventory` shows without a live read. */
export async function listStoredStock(db: Database, accountId: string, page: { limit: number; offset: number }): Promise<{ items: StoredStockRow[]; total: number }> {
  const where = eq(tinyStockLevels.accountId, accountId);
  const [rows, [count]] = await Promise.all([
    db
      .select({ level: tinyStockLevels, sku: tinyProducts.sku, name: tinyProducts.name, unit: tinyProducts.unit })
      .from(tinyStockLevels)
      .leftJoin(tinyProducts, and(eq(tinyProducts.accountId, tinyStockLevels.accountId), eq(tinyProducts.tinyProductId, tinyStockLevels.tinyProductId)))
      .where(where)
      .orderBy(asc(tinyStockLevels.tinyProductId))
      .limit(page.limit)
      .offset(page.offset),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(tinyStockLevels)
      .where(where),
  ]);
  return { items: rows.map((r) => ({ ...r.level, sku: r.sku, name: r.name, unit: r.unit })), total: count?.n ?? 0 };
}
