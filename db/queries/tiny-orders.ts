import { and, asc, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../database";
import {
  mlAccounts,
  mlOrderItems,
  mlOrders,
  tinyAccounts,
  tinyBuyerContacts,
  tinyOrderPushes,
  tinyProductLinks,
  type MlOrder,
  type MlOrderItem,
  type TinyOrderPush,
  type TinyOrderPushReason,
  type TinyOrderPushStatus,
} from "../schema";

/**
 * The order push's state machine in SQL. Every transition that matters for exactly-once is a
 * conditional UPDATE guarded by the claim token, so a pusher whose lease ran out can no longer
 * overwrite what the next holder recorded.
 */

export type { TinyOrderPush, TinyOrderPushReason, TinyOrderPushStatus };

/** The ML order with its items, only if it belongs to one of the user's ML accounts (tenant check). */
export async function findUserMlOrder(db: Database, userId: string, mlOrderId: number): Promise<{ order: MlOrder; items: MlOrderItem[] } | undefined> {
  const [row] = await db
    .select({ order: mlOrders })
    .from(mlOrders)
    .innerJoin(mlAccounts, eq(mlAccounts.id, mlOrders.accountId))
    .where(and(eq(mlOrders.mlOrderId, mlOrderId), eq(mlAccounts.userId, userId)))
    .limit(1);
  if (!row) return undefined;
  const items = await db.select().from(mlOrderItems).where(eq(mlOrderItems.orderId, row.order.id)).orderBy(asc(mlOrderItems.position));
  return { order: row.order, items };
}

/** What a push needs from the account: the ML channel (exactly-once lookups) and whether to invoice. */
export async function findPushSettings(db: Database, tinyAccountId: string): Promise<{ channel: number | null; invoiceOnPaid: boolean }> {
  const [row] = await db.select({ channel: tinyAccounts.mlEcommerceChannelId, invoiceOnPaid: tinyAccounts.invoiceOnPaid }).from(tinyAccounts).where(eq(tinyAccounts.id, tinyAccountId)).limit(1);
  return { channel: row?.channel ?? null, invoiceOnPaid: row?.invoiceOnPaid ?? false };
}

export async function setMlEcommerceChannel(db: Database, tinyAccountId: string, channelId: number | null): Promise<void> {
  await db.update(tinyAccounts).set({ mlEcommerceChannelId: channelId, updatedAt: new Date() }).where(eq(tinyAccounts.id, tinyAccountId));
}

/** Links for the given listings of the user on one Tiny account, keyed "item:variation" ("item:" without one). */
export async function findLinksForItems(db: Database, userId: string, tinyAccountId: string, mlItemIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (mlItemIds.length === 0) return out;
  const rows = await db
    .select({ mlItemId: tinyProductLinks.mlItemId, mlVariationId: tinyProductLinks.mlVariationId, tinyProductId: tinyProductLinks.tinyProductId })
    .from(tinyProductLinks)
    .where(and(eq(tinyProductLinks.userId, userId), eq(tinyProductLinks.tinyAccountId, tinyAccountId), inArray(tinyProductLinks.mlItemId, mlItemIds)));
  for (const r of rows) out.set(linkKey(r.mlItemId, r.mlVariationId), r.tinyProductId);
  return out;
}

export const linkKey = (mlItemId: string, mlVariationId: number | null | undefined) => `${mlItemId}:${mlVariationId ?? ""}`;

/** Records the intent (idempotent): the unique key makes a second insert a no-op that returns the existing row. */
export async function ensureOrderPush(db: Database, values: { userId: string; tinyAccountId: string; mlOrderId: number }): Promise<TinyOrderPush> {
  await db
    .insert(tinyOrderPushes)
    .values(values)
    .onConflictDoNothing({ target: [tinyOrderPushes.mlOrderId, tinyOrderPushes.tinyAccountId] });
  const [row] = await db
    .select()
    .from(tinyOrderPushes)
    .where(and(eq(tinyOrderPushes.mlOrderId, values.mlOrderId), eq(tinyOrderPushes.tinyAccountId, values.tinyAccountId)))
    .limit(1);
  if (!row) throw new Error(`order push row vanished for ML order ${values.mlOrderId}`);
  return row;
}

/**
 * Takes the push's lease if nobody holds a live one. Compare-and-set in one statement, so of
 * N concurrent pushers exactly one gets a row back.
 */
export async function claimOrderPush(db: Database, id: string, token: string, now: Date, leaseMs: number): Promise<TinyOrderPush | undefined> {
  const [row] = await db
    .update(tinyOrderPushes)
    .set({ claimToken: token, claimedUntil: new Date(now.getTime() + leaseMs), attempts: sql`${tinyOrderPushes.attempts} + 1`, updatedAt: now })
    .where(and(eq(tinyOrderPushes.id, id), or(isNull(tinyOrderPushes.claimedUntil), lt(tinyOrderPushes.claimedUntil, now))))
    .returning();
  return row;
}

export type OrderPushChange = Partial<
  Pick<
    TinyOrderPush,
    | "status"
    | "tinyOrderId"
    | "tinyOrderNumber"
    | "tinyContactId"
    | "markersAddedAt"
    | "lastError"
    | "lastErrorAt"
    | "failureReasons"
    | "createdInTinyAt"
    | "invoiceId"
    | "invoiceNumber"
    | "invoiceKey"
    | "invoiceLink"
    | "invoiceSituation"
    | "invoiceEmittedAt"
    | "invoiceError"
    | "stockPostedAt"
    | "tinyCancelledAt"
    | "stockReturnedAt"
    | "receivablesPostedAt"
    | "receivablesReversedAt"
  >
>;

/**
 * Applies a transition only while `token` still holds the lease; undefined = the lease was lost.
 * `renewMs` extends the lease from now: a push renews it at every step, so only a single call
 * (with its quota wait) has to fit in the lease, however many calls the push makes.
 */
export async function updateClaimedPush(
  db: Database,
  id: string,
  token: string,
  change: OrderPushChange & { addCalls?: number; release?: boolean; renewMs?: number },
  now: Date,
): Promise<TinyOrderPush | undefined> {
  const { addCalls, release, renewMs, ...values } = change;
  const [row] = await db
    .update(tinyOrderPushes)
    .set({
      ...values,
      ...(addCalls ? { tinyCalls: sql`${tinyOrderPushes.tinyCalls} + ${addCalls}` } : {}),
      ...(release ? { claimToken: null, claimedUntil: null } : renewMs ? { claimedUntil: new Date(now.getTime() + renewMs) } : {}),
      updatedAt: now,
    })
    .where(and(eq(tinyOrderPushes.id, id), eq(tinyOrderPushes.claimToken, token)))
    .returning();
  return row;
}

/** Scoped by owner: another user's push reads as missing. */
export async function findOrderPushOfUser(db: Database, userId: string, id: string): Promise<TinyOrderPush | undefined> {
  const [row] = await db
    .select()
    .from(tinyOrderPushes)
    .where(and(eq(tinyOrderPushes.id, id), eq(tinyOrderPushes.userId, userId)))
    .limit(1);
  return row;
}

export async function findOrderPush(db: Database, id: string): Promise<TinyOrderPush | undefined> {
  const [row] = await db.select().from(tinyOrderPushes).where(eq(tinyOrderPushes.id, id)).limit(1);
  return row;
}

export interface OrderPushFilters {
  tinyAccountId?: string | undefined;
  status?: TinyOrderPushStatus | undefined;
  /** Only pushes the seller must look at: failed, unknown, a refused step or a refused invoice. */
  needsAttention?: boolean | undefined;
  limit: number;
  offset: number;
}

const needsAttention = sql`(${tinyOrderPushes.status} in ('failed', 'unknown') or ${tinyOrderPushes.invoiceError} is not null or (${tinyOrderPushes.status} = 'created' and ${tinyOrderPushes.failureReasons} <> '[]'::jsonb))`;

/** Pushes some seller must look at, across all users: the gauge behind the "Tiny pushes need attention" alert (docs/operations.md). */
export async function countPushesNeedingAttention(db: Database): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(tinyOrderPushes)
    .where(needsAttention);
  return row?.n ?? 0;
}

/** The user's pushes, most recently changed first. */
export async function listOrderPushes(db: Database, userId: string, filters: OrderPushFilters): Promise<{ items: TinyOrderPush[]; total: number }> {
  const where = and(
    eq(tinyOrderPushes.userId, userId),
    filters.tinyAccountId ? eq(tinyOrderPushes.tinyAccountId, filters.tinyAccountId) : undefined,
    filters.status ? eq(tinyOrderPushes.status, filters.status) : undefined,
    filters.needsAttention ? needsAttention : undefined,
  );
  const [items, [count]] = await Promise.all([
    db.select().from(tinyOrderPushes).where(where).orderBy(desc(tinyOrderPushes.updatedAt), desc(tinyOrderPushes.id)).limit(filters.limit).offset(filters.offset),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(tinyOrderPushes)
      .where(where),
  ]);
  return { items, total: count?.n ?? 0 };
}

/**
 * Makes a push eligible again after the seller fixed its cause: a refused step or invoice is
 * tried again by the next push. Statuses are left alone — a failed push is retried by any push
 * (nothing was created in Tiny), and an unknown one must still be looked up first.
 */
export async function clearPushRefusals(db: Database, id: string, now: Date): Promise<void> {
  // Only between pushes: a push in flight owns the row until it lets go.
  await db
    .update(tinyOrderPushes)
    .set({
      invoiceError: null,
      invoiceSituation: sql`case when ${tinyOrderPushes.invoiceEmittedAt} is null then null else ${tinyOrderPushes.invoiceSituation} end`,
      failureReasons: sql`case when ${tinyOrderPushes.status} = 'created' then '[]'::jsonb else ${tinyOrderPushes.failureReasons} end`,
      updatedAt: now,
    })
    .where(and(eq(tinyOrderPushes.id, id), or(isNull(tinyOrderPushes.claimedUntil), lt(tinyOrderPushes.claimedUntil, now))));
}

/** The Tiny products an ML order's items are linked to on one account (what its stock posting moved). */
export async function linkedProductsOfOrder(db: Database, userId: string, tinyAccountId: string, mlOrderId: number): Promise<number[]> {
  const rows = await db
    .selectDistinct({ productId: tinyProductLinks.tinyProductId })
    .from(mlOrders)
    .innerJoin(mlAccounts, and(eq(mlAccounts.id, mlOrders.accountId), eq(mlAccounts.userId, userId)))
    .innerJoin(mlOrderItems, eq(mlOrderItems.orderId, mlOrders.id))
    .innerJoin(
      tinyProductLinks,
      and(
        eq(tinyProductLinks.userId, userId),
        eq(tinyProductLinks.tinyAccountId, tinyAccountId),
        eq(tinyProductLinks.mlItemId, mlOrderItems.mlItemId),
        sql`${tinyProductLinks.mlVariationId} is not distinct from ${mlOrderItems.mlVariationId}`,
      ),
    )
    .where(eq(mlOrders.mlOrderId, mlOrderId));
  return rows.map((r) => r.productId);
}

/**
 * The buyer's contact row, created if absent. `contactId` set: reuse it. Otherwise `claimed`
 * says whether this caller holds the lease to look up or create the contact (compare-and-set,
 * so of concurrent pushes for one new buyer exactly one does).
 */
export async function claimBuyerContact(db: Database, tinyAccountId: string, contactKey: string, token: string, now: Date, leaseMs: number): Promise<{ contactId: number | null; claimed: boolean }> {
  await db
    .insert(tinyBuyerContacts)
    .values({ tinyAccountId, contactKey })
    .onConflictDoNothing({ target: [tinyBuyerContacts.tinyAccountId, tinyBuyerContacts.contactKey] });
  const [claimed] = await db
    .update(tinyBuyerContacts)
    .set({ claimToken: token, claimedUntil: new Date(now.getTime() + leaseMs), updatedAt: now })
    .where(
      and(
        eq(tinyBuyerContacts.tinyAccountId, tinyAccountId),
        eq(tinyBuyerContacts.contactKey, contactKey),
        isNull(tinyBuyerContacts.tinyContactId),
        or(isNull(tinyBuyerContacts.claimedUntil), lt(tinyBuyerContacts.claimedUntil, now)),
      ),
    )
    .returning({ id: tinyBuyerContacts.id });
  if (claimed) return { contactId: null, claimed: true };
  const [row] = await db
    .select({ contactId: tinyBuyerContacts.tinyContactId })
    .from(tinyBuyerContacts)
    .where(and(eq(tinyBuyerContacts.tinyAccountId, tinyAccountId), eq(tinyBuyerContacts.contactKey, contactKey)))
    .limit(1);
  return { contactId: row?.contactId ?? null, claimed: false };
}

/** Records the contact the claim holder found or created (or, with null, gives the claim up). */
export async function settleBuyerContact(db: Database, tinyAccountId: string, contactKey: string, token: string, contactId: number | null, now: Date): Promise<void> {
  await db
    .update(tinyBuyerContacts)
    .set({ tinyContactId: contactId, claimToken: null, claimedUntil: null, updatedAt: now })
    .where(and(eq(tinyBuyerContacts.tinyAccountId, tinyAccountId), eq(tinyBuyerContacts.contactKey, contactKey), eq(tinyBuyerContacts.claimToken, token)));
}

/** Tiny refused an order naming this contact: it may be gone there, so the next push looks it up again. */
export async function forgetBuyerContact(db: Database, tinyAccountId: string, contactId: number): Promise<void> {
  await db.delete(tinyBuyerContacts).where(and(eq(tinyBuyerContacts.tinyAccountId, tinyAccountId), eq(tinyBuyerContacts.tinyContactId, contactId)));
}
