import { and, asc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../database";
import { mlAccounts, mlOrderItems, mlOrders, tinyAccounts, tinyOrderPushes, tinyProductLinks, type MlOrder, type MlOrderItem, type TinyOrderPush, type TinyOrderPushReason, type TinyOrderPushStatus } from "../schema";

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

export async function findMlEcommerceChannel(db: Database, tinyAccountId: string): Promise<number | null> {
  const [row] = await db.select({ channel: tinyAccounts.mlEcommerceChannelId }).from(tinyAccounts).where(eq(tinyAccounts.id, tinyAccountId)).limit(1);
  return row?.channel ?? null;
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
  await db.insert(tinyOrderPushes).values(values).onConflictDoNothing({ target: [tinyOrderPushes.mlOrderId, tinyOrderPushes.tinyAccountId] });
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
    "status" | "tinyOrderId" | "tinyOrderNumber" | "tinyContactId" | "markersAddedAt" | "lastError" | "lastErrorAt" | "failureReasons" | "createdInTinyAt" | "invoiceId" | "invoiceNumber" | "invoiceKey" | "invoiceLink"
  >
>;

/** Applies a transition only while `token` still holds the lease; undefined = the lease was lost. */
export async function updateClaimedPush(db: Database, id: string, token: string, change: OrderPushChange & { addCalls?: number; release?: boolean }, now: Date): Promise<TinyOrderPush | undefined> {
  const { addCalls, release, ...values } = change;
  const [row] = await db
    .update(tinyOrderPushes)
    .set({
      ...values,
      ...(addCalls ? { tinyCalls: sql`${tinyOrderPushes.tinyCalls} + ${addCalls}` } : {}),
      ...(release ? { claimToken: null, claimedUntil: null } : {}),
      updatedAt: now,
    })
    .where(and(eq(tinyOrderPushes.id, id), eq(tinyOrderPushes.claimToken, token)))
    .returning();
  return row;
}

/** Scoped by owner: another user's push reads as missing. */
export async function findOrderPushOfUser(db: Database, userId: string, id: string): Promise<TinyOrderPush | undefined> {
  const [row] = await db.select().from(tinyOrderPushes).where(and(eq(tinyOrderPushes.id, id), eq(tinyOrderPushes.userId, userId))).limit(1);
  return row;
}

export async function findOrderPush(db: Database, id: string): Promise<TinyOrderPush | undefined> {
  const [row] = await db.select().from(tinyOrderPushes).where(eq(tinyOrderPushes.id, id)).limit(1);
  return row;
}
