import { and, asc, count, desc, eq, gt, inArray, isNotNull, isNull, lte, ne, or, sql } from "drizzle-orm";
import { rowsOf, type Database } from "../database";
import {
  mlAccounts,
  mlListings,
  mlListingVariations,
  tinyAccountEvents,
  tinyAccounts,
  tinyProductLinks,
  tinyProducts,
  type TinyAccount,
  type TinyAccountEvent,
  type TinyAccountStatus,
  type TinyLinkSource,
  type TinyProductLink,
} from "../schema";

/**
 * Every read and write of the Tiny tables, for both runtimes. Functions returning sealed
 * tokens serve only the token manager and the connect flow; what leaves through the API is
 * built from `TinyAccountSummary`, which has no token columns.
 */

export const tinyAccountSummaryColumns = {
  id: tinyAccounts.id,
  userId: tinyAccounts.userId,
  companyName: tinyAccounts.companyName,
  tradeName: tinyAccounts.tradeName,
  cnpj: tinyAccounts.cnpj,
  status: tinyAccounts.status,
  accessExpiresAt: tinyAccounts.accessExpiresAt,
  refreshExpiresAt: tinyAccounts.refreshExpiresAt,
  lastRefreshAt: tinyAccounts.lastRefreshAt,
  lastError: tinyAccounts.lastError,
  lastErrorAt: tinyAccounts.lastErrorAt,
  connectedAt: tinyAccounts.connectedAt,
  disconnectedAt: tinyAccounts.disconnectedAt,
  forwardOrders: tinyAccounts.forwardOrders,
  invoiceOnPaid: tinyAccounts.invoiceOnPaid,
  // The secret's hash stays out: only when the webhook URL was made is ever shown.
  webhookSecretCreatedAt: tinyAccounts.webhookSecretCreatedAt,
  createdAt: tinyAccounts.createdAt,
  updatedAt: tinyAccounts.updatedAt,
};

export type TinyAccountSummary = Pick<TinyAccount, keyof typeof tinyAccountSummaryColumns>;

export interface TinySealedTokens {
  accessTokenEnc: string;
  refreshTokenEnc: string;
  tokenKeyId: string;
  accessExpiresAt: Date;
  refreshExpiresAt: Date;
}

/** The user's connections, disconnected ones left out (they are history, not accounts). */
export async function listTinyAccountsOfUser(db: Database, userId: string): Promise<TinyAccountSummary[]> {
  return db
    .select(tinyAccountSummaryColumns)
    .from(tinyAccounts)
    .where(and(eq(tinyAccounts.userId, userId), ne(tinyAccounts.status, "disconnected")))
    .orderBy(asc(tinyAccounts.createdAt));
}

/** Scoped by owner: another user's id reads as missing, so ids never leak across tenants. */
export async function findTinyAccountOfUser(db: Database, userId: string, id: string): Promise<TinyAccountSummary | undefined> {
  const [row] = await db
    .select(tinyAccountSummaryColumns)
    .from(tinyAccounts)
    .where(and(eq(tinyAccounts.id, id), eq(tinyAccounts.userId, userId), ne(tinyAccounts.status, "disconnected")))
    .limit(1);
  return row;
}

export async function findTinyAccount(db: Database, id: string): Promise<TinyAccount | undefined> {
  const [row] = await db.select().from(tinyAccounts).where(eq(tinyAccounts.id, id)).limit(1);
  return row;
}

/**
 * Row lock for refresh and reconnect: FOR NO KEY UPDATE serialises them per account while
 * rows referencing it (events, links, cached products) can still be written.
 */
export async function lockTinyAccount(tx: Database, id: string): Promise<TinyAccount | undefined> {
  const [row] = await tx.select().from(tinyAccounts).where(eq(tinyAccounts.id, id)).for("no key update").limit(1);
  return row;
}

export async function lockTinyAccountOfUserByCnpj(tx: Database, userId: string, cnpj: string): Promise<TinyAccount | undefined> {
  const [row] = await tx
    .select()
    .from(tinyAccounts)
    .where(and(eq(tinyAccounts.userId, userId), eq(tinyAccounts.cnpj, cnpj)))
    .for("no key update")
    .limit(1);
  return row;
}

export interface NewTinyAccount extends TinySealedTokens {
  id: string;
  userId: string;
  companyName: string;
  tradeName: string | null;
  cnpj: string;
  now: Date;
}

/** Undefined when the user already has this company (the unique index decides under races). */
export async function insertTinyAccount(db: Database, values: NewTinyAccount): Promise<TinyAccountSummary | undefined> {
  const { now, ...rest } = values;
  const [row] = await db
    .insert(tinyAccounts)
    .values({ ...rest, status: "active", lastRefreshAt: now, connectedAt: now, createdAt: now, updatedAt: now })
    .onConflictDoNothing({ target: [tinyAccounts.userId, tinyAccounts.cnpj] })
    .returning(tinyAccountSummaryColumns);
  return row;
}

/** A reconnect of a company the user already had (any status): fresh grant, active again, errors cleared. */
export async function reconnectTinyAccount(db: Database, id: string, values: TinySealedTokens & { companyName: string; tradeName: string | null; now: Date }): Promise<TinyAccountSummary | undefined> {
  const { now, ...rest } = values;
  const [row] = await db
    .update(tinyAccounts)
    .set({ ...rest, status: "active", lastRefreshAt: now, lastError: null, lastErrorAt: null, connectedAt: now, disconnectedAt: null, updatedAt: now })
    .where(eq(tinyAccounts.id, id))
    .returning(tinyAccountSummaryColumns);
  return row;
}

export async function storeRefreshedTinyTokens(db: Database, id: string, tokens: TinySealedTokens, now: Date): Promise<void> {
  await db
    .update(tinyAccounts)
    .set({ ...tokens, lastRefreshAt: now, lastError: null, lastErrorAt: null, updatedAt: now })
    .where(eq(tinyAccounts.id, id));
}

/** The grant is gone: dead tokens are dropped with the status change, and the reason stays visible. */
export async function markTinyAccountReauthRequired(db: Database, id: string, reason: string, now: Date): Promise<void> {
  await db
    .update(tinyAccounts)
    .set({
      status: "reauth_required",
      accessTokenEnc: null,
      refreshTokenEnc: null,
      tokenKeyId: null,
      accessExpiresAt: null,
      refreshExpiresAt: null,
      lastError: reason,
      lastErrorAt: now,
      updatedAt: now,
    })
    .where(eq(tinyAccounts.id, id));
}

/** A transient refresh failure: the account stays active, but the dashboard shows what went wrong. */
export async function recordTinyAccountError(db: Database, id: string, reason: string, now: Date): Promise<void> {
  await db.update(tinyAccounts).set({ lastError: reason, lastErrorAt: now, updatedAt: now }).where(eq(tinyAccounts.id, id));
}

export async function disconnectTinyAccount(db: Database, id: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(tinyAccounts)
    .set({
      status: "disconnected",
      accessTokenEnc: null,
      refreshTokenEnc: null,
      tokenKeyId: null,
      accessExpiresAt: null,
      refreshExpiresAt: null,
      disconnectedAt: now,
      updatedAt: now,
    })
    .where(and(eq(tinyAccounts.id, id), ne(tinyAccounts.status, "disconnected")))
    .returning({ id: tinyAccounts.id });
  return rows.length > 0;
}

export async function insertTinyAccountEvent(
  db: Database,
  values: { accountId: string; type: string; level?: "info" | "warn" | "error"; message: string; details?: Record<string, unknown>; now?: Date },
): Promise<void> {
  await db.insert(tinyAccountEvents).values({
    accountId: values.accountId,
    type: values.type,
    level: values.level ?? "info",
    message: values.message,
    details: values.details ?? null,
    ...(values.now ? { createdAt: values.now } : {}),
  });
}

export async function listTinyAccountEvents(db: Database, accountId: string, limit = 50): Promise<TinyAccountEvent[]> {
  return db.select().from(tinyAccountEvents).where(eq(tinyAccountEvents.accountId, accountId)).orderBy(desc(tinyAccountEvents.createdAt), desc(tinyAccountEvents.id)).limit(limit);
}

/**
 * Active accounts the keep-alive must refresh now: last refreshed before `refreshedBefore`
 * (or never), or whose refresh token dies before `refreshExpiresBefore`. Oldest first.
 */
export async function findTinyAccountsDueForKeepAlive(
  db: Database,
  input: { refreshedBefore: Date; refreshExpiresBefore: Date; limit: number },
): Promise<{ id: string; refreshExpiresAt: Date | null }[]> {
  return db
    .select({ id: tinyAccounts.id, refreshExpiresAt: tinyAccounts.refreshExpiresAt })
    .from(tinyAccounts)
    .where(
      and(
        eq(tinyAccounts.status, "active"),
        or(
          isNull(tinyAccounts.lastRefreshAt),
          lte(tinyAccounts.lastRefreshAt, input.refreshedBefore),
          isNull(tinyAccounts.refreshExpiresAt),
          lte(tinyAccounts.refreshExpiresAt, input.refreshExpiresBefore),
        ),
      ),
    )
    .orderBy(sql`${tinyAccounts.refreshExpiresAt} asc nulls first`)
    .limit(input.limit);
}

/** Rows sealed under a key other than the current one, after `afterId` (keyset pages), for the rotation command. */
export async function findTinyAccountsSealedWithOtherKey(db: Database, currentKeyId: string, afterId: string | null, limit: number): Promise<{ id: string }[]> {
  return db
    .select({ id: tinyAccounts.id })
    .from(tinyAccounts)
    .where(and(isNotNull(tinyAccounts.tokenKeyId), ne(tinyAccounts.tokenKeyId, currentKeyId), afterId ? gt(tinyAccounts.id, afterId) : undefined))
    .orderBy(asc(tinyAccounts.id))
    .limit(limit);
}

// ---------------------------------------------------------------------------------------------
// Product cache

export interface TinyProductRow {
  tinyProductId: number;
  sku: string | null;
  name: string;
  type: string | null;
  status: string | null;
  unit: string | null;
  gtin: string | null;
  price: string | null;
  tinyUpdatedAt: Date | null;
}

export async function upsertTinyProducts(db: Database, accountId: string, rows: TinyProductRow[], fetchedAt: Date): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insert(tinyProducts)
    .values(rows.map((row) => ({ ...row, accountId, fetchedAt })))
    .onConflictDoUpdate({
      target: [tinyProducts.accountId, tinyProducts.tinyProductId],
      set: {
        sku: sql`excluded.sku`,
        name: sql`excluded.name`,
        type: sql`excluded.type`,
        status: sql`excluded.status`,
        unit: sql`excluded.unit`,
        gtin: sql`excluded.gtin`,
        price: sql`excluded.price`,
        tinyUpdatedAt: sql`excluded.tiny_updated_at`,
        fetchedAt: sql`excluded.fetched_at`,
      },
    });
}

export async function findCachedTinyProducts(db: Database, accountId: string, ids: number[]): Promise<Map<number, { sku: string | null; name: string; status: string | null }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: tinyProducts.tinyProductId, sku: tinyProducts.sku, name: tinyProducts.name, status: tinyProducts.status })
    .from(tinyProducts)
    .where(and(eq(tinyProducts.accountId, accountId), inArray(tinyProducts.tinyProductId, ids)));
  return new Map(rows.map((r) => [r.id, { sku: r.sku, name: r.name, status: r.status }]));
}

// ---------------------------------------------------------------------------------------------
// Product links

export interface ProductLinkView extends TinyProductLink {
  tinyProductName: string | null;
  tinyAccountStatus: TinyAccountStatus;
}

export async function listProductLinks(
  db: Database,
  userId: string,
  filters: { tinyAccountId?: string | undefined; mlItemId?: string | undefined; limit: number; offset: number },
): Promise<{ links: ProductLinkView[]; total: number }> {
  const where = and(
    eq(tinyProductLinks.userId, userId),
    filters.tinyAccountId ? eq(tinyProductLinks.tinyAccountId, filters.tinyAccountId) : undefined,
    filters.mlItemId ? eq(tinyProductLinks.mlItemId, filters.mlItemId) : undefined,
  );
  const rows = await db
    .select({ link: tinyProductLinks, tinyProductName: tinyProducts.name, tinyAccountStatus: tinyAccounts.status })
    .from(tinyProductLinks)
    .innerJoin(tinyAccounts, eq(tinyAccounts.id, tinyProductLinks.tinyAccountId))
    .leftJoin(tinyProducts, and(eq(tinyProducts.accountId, tinyProductLinks.tinyAccountId), eq(tinyProducts.tinyProductId, tinyProductLinks.tinyProductId)))
    .where(where)
    .orderBy(asc(tinyProductLinks.mlItemId), sql`${tinyProductLinks.mlVariationId} asc nulls first`)
    .limit(filters.limit)
    .offset(filters.offset);
  const [totals] = await db.select({ n: count() }).from(tinyProductLinks).where(where);
  return {
    links: rows.map((r) => ({ ...r.link, tinyProductName: r.tinyProductName, tinyAccountStatus: r.tinyAccountStatus })),
    total: totals?.n ?? 0,
  };
}

export interface UnlinkedListing {
  mlItemId: string;
  mlVariationId: number | null;
  title: string;
  sellerSku: string | null;
  status: string;
}

/**
 * The user's ML listings — each variation on its own, a listing without variations as itself
 * — that no link covers. Closed listings are left out: nothing will sell through them.
 */
export async function listUnlinkedListings(
  db: Database,
  userId: string,
  filters: { mlItemId?: string | undefined; limit: number; offset: number },
): Promise<{ items: UnlinkedListing[]; total: number }> {
  const itemFilter = filters.mlItemId ? sql`and l.ml_item_id = ${filters.mlItemId}` : sql``;
  const base = sql`
    select l.ml_item_id, null::bigint as ml_variation_id, l.title, l.seller_sku, l.status
      from ${mlListings} l join ${mlAccounts} a on a.id = l.account_id
     where a.user_id = ${userId} and l.status <> 'closed' ${itemFilter}
       and not exists (select 1 from ${mlListingVariations} v where v.listing_id = l.id)
       and not exists (select 1 from ${tinyProductLinks} k where k.user_id = ${userId} and k.ml_item_id = l.ml_item_id and k.ml_variation_id is null)
    union all
    select l.ml_item_id, v.ml_variation_id, l.title, coalesce(v.seller_sku, l.seller_sku), l.status
      from ${mlListingVariations} v join ${mlListings} l on l.id = v.listing_id join ${mlAccounts} a on a.id = l.account_id
     where a.user_id = ${userId} and l.status <> 'closed' ${itemFilter}
       and not exists (select 1 from ${tinyProductLinks} k where k.user_id = ${userId} and k.ml_item_id = l.ml_item_id and k.ml_variation_id = v.ml_variation_id)`;
  type Row = { ml_item_id: string; ml_variation_id: string | number | null; title: string; seller_sku: string | null; status: string };
  const page = await db.execute(sql`select * from (${base}) u order by u.ml_item_id, u.ml_variation_id nulls first limit ${filters.limit} offset ${filters.offset}`);
  const totals = await db.execute(sql`select count(*) as n from (${base}) u`);
  return {
    items: rowsOf<Row>(page).map((r) => ({
      mlItemId: r.ml_item_id,
      mlVariationId: r.ml_variation_id === null ? null : Number(r.ml_variation_id),
      title: r.title,
      sellerSku: r.seller_sku,
      status: r.status,
    })),
    total: Number(rowsOf<{ n: string | number }>(totals)[0]?.n ?? 0),
  };
}

/** An ML listing of this user, with the ids of its variations (empty = a listing without variations). */
export async function findUserListing(db: Database, userId: string, mlItemId: string): Promise<{ mlItemId: string; variationIds: number[] } | undefined> {
  const rows = await db
    .select({ mlItemId: mlListings.mlItemId, variationId: mlListingVariations.mlVariationId })
    .from(mlListings)
    .innerJoin(mlAccounts, eq(mlAccounts.id, mlListings.accountId))
    .leftJoin(mlListingVariations, eq(mlListingVariations.listingId, mlListings.id))
    .where(and(eq(mlAccounts.userId, userId), eq(mlListings.mlItemId, mlItemId)));
  if (rows.length === 0) return undefined;
  return { mlItemId, variationIds: rows.flatMap((r) => (r.variationId === null ? [] : [r.variationId])) };
}

export interface LinkWrite {
  userId: string;
  tinyAccountId: string;
  mlItemId: string;
  mlVariationId: number | null;
  tinyProductId: number;
  tinySku: string | null;
}

/** The seller's correction: always wins, and records who made it and when. */
export async function upsertManualLink(db: Database, link: LinkWrite, now: Date): Promise<TinyProductLink> {
  const [row] = await db
    .insert(tinyProductLinks)
    .values({ ...link, source: "manual", linkedBy: link.userId, linkedAt: now, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [tinyProductLinks.userId, tinyProductLinks.mlItemId, tinyProductLinks.mlVariationId],
      set: {
        tinyAccountId: link.tinyAccountId,
        tinyProductId: link.tinyProductId,
        tinySku: link.tinySku,
        source: "manual",
        linkedBy: link.userId,
        linkedAt: now,
        updatedAt: now,
      },
    })
    .returning();
  return row!;
}

/**
 * What the product sync writes after an exact SKU match. A manual link is never overwritten:
 * undefined means the seller's link stands.
 */
export async function upsertSyncLink(db: Database, link: LinkWrite, now: Date): Promise<TinyProductLink | undefined> {
  const [row] = await db
    .insert(tinyProductLinks)
    .values({ ...link, source: "sync" satisfies TinyLinkSource, linkedBy: null, linkedAt: now, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: [tinyProductLinks.userId, tinyProductLinks.mlItemId, tinyProductLinks.mlVariationId],
      set: { tinyAccountId: link.tinyAccountId, tinyProductId: link.tinyProductId, tinySku: link.tinySku, linkedAt: now, updatedAt: now },
      setWhere: eq(tinyProductLinks.source, "sync"),
    })
    .returning();
  return row;
}

export async function deleteLink(db: Database, userId: string, mlItemId: string, mlVariationId: number | null): Promise<boolean> {
  const rows = await db
    .delete(tinyProductLinks)
    .where(
      and(
        eq(tinyProductLinks.userId, userId),
        eq(tinyProductLinks.mlItemId, mlItemId),
        mlVariationId === null ? isNull(tinyProductLinks.mlVariationId) : eq(tinyProductLinks.mlVariationId, mlVariationId),
      ),
    )
    .returning({ id: tinyProductLinks.id });
  return rows.length > 0;
}

export type { TinyAccount, TinyAccountEvent, TinyAccountStatus, TinyProductLink };

/** For the key-rotation command: rewrites one row's ciphertexts under the current key (same AAD contexts). */
export async function resealTinyAccountTokens(db: Database, id: string, values: { accessTokenEnc: string; refreshTokenEnc: string; tokenKeyId: string }): Promise<void> {
  await db.update(tinyAccounts).set(values).where(eq(tinyAccounts.id, id));
}
