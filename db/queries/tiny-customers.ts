import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../database";
import { mlAccounts, mlOrders, type MlBuyerSnapshot } from "../schema";

/**
 * ML buyers as the user's stored orders know them. Scoped through ml_accounts.user_id: a buyer
 * who only bought from someone else's account does not exist for this user.
 */

export interface MlBuyerView {
  buyerId: number;
  /** The newest snapshot; names and nickname change, the newest wins. */
  snapshot: MlBuyerSnapshot | null;
  /** CPF/CNPJ from the newest order whose billing info carried one. */
  docType: string | null;
  docNumber: string | null;
  orders: number;
  firstOrderAt: Date | null;
  lastOrderAt: Date | null;
  lastMlOrderId: number;
}

/** Orders scanned for a document: a buyer's billing info is on few of them, and recent ones matter most. */
const RECENT_ORDERS = 50;

export async function findMlBuyerOfUser(db: Database, userId: string, buyerId: number): Promise<MlBuyerView | undefined> {
  const mine = and(eq(mlAccounts.userId, userId), eq(mlOrders.buyerId, buyerId));
  const [totals] = await db
    .select({ orders: sql<number>`count(*)::int`, first: sql<Date | null>`min(${mlOrders.mlDateCreated})`, last: sql<Date | null>`max(${mlOrders.mlDateCreated})` })
    .from(mlOrders)
    .innerJoin(mlAccounts, eq(mlAccounts.id, mlOrders.accountId))
    .where(mine);
  if (!totals || totals.orders === 0) return undefined;
  const recent = await db
    .select({ buyer: mlOrders.buyer, mlOrderId: mlOrders.mlOrderId })
    .from(mlOrders)
    .innerJoin(mlAccounts, eq(mlAccounts.id, mlOrders.accountId))
    .where(mine)
    .orderBy(sql`${mlOrders.mlDateCreated} desc nulls last`, desc(mlOrders.mlOrderId))
    .limit(RECENT_ORDERS);
  const withDoc = recent.find((r) => r.buyer?.docNumber);
  const toDate = (v: Date | string | null) => (v === null ? null : new Date(v));
  return {
    buyerId,
    snapshot: recent.find((r) => r.buyer)?.buyer ?? null,
    docType: withDoc?.buyer?.docType ?? null,
    docNumber: withDoc?.buyer?.docNumber ?? null,
    orders: totals.orders,
    firstOrderAt: toDate(totals.first),
    lastOrderAt: toDate(totals.last),
    lastMlOrderId: recent[0]!.mlOrderId,
  };
}

/** Which of `buyerIds` bought from one of the user's ML accounts. */
export async function knownMlBuyers(db: Database, userId: string, buyerIds: number[]): Promise<Set<number>> {
  if (buyerIds.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ buyerId: mlOrders.buyerId })
    .from(mlOrders)
    .innerJoin(mlAccounts, eq(mlAccounts.id, mlOrders.accountId))
    .where(and(eq(mlAccounts.userId, userId), inArray(mlOrders.buyerId, buyerIds)));
  return new Set(rows.map((r) => r.buyerId).filter((id): id is number => id !== null));
}
