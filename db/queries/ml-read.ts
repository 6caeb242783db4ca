import { and, asc, desc, eq, gte, ilike, inArray, isNotNull, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../database";
import { mlAccounts, mlClaims, mlListings, mlListingVariations, mlOrderItems, mlOrders, mlQuestions, mlShipments } from "../schema";

/**
 * Reads behind the /ml data API. Every query is scoped to the caller's accounts first (an id
 * of another user's record simply matches nothing), and lists page by keyset — `(sort value,
 * id)` after the last row — so a deep page costs what the first one does and rows that change
 * or appear between pages neither repeat nor go missing (docs/ml-sync.md).
 */

/** What a keyset page continues after: the last row's sort value and id. */
export interface Keyset {
  value: string | number | null;
  id: string;
}

/** The caller's account ids, narrowed to `accountId` when given (empty when it is not theirs). */
export async function accountIdsOfUser(db: Database, userId: string, accountId?: string): Promise<string[]> {
  const rows = await db
    .select({ id: mlAccounts.id })
    .from(mlAccounts)
    .where(and(eq(mlAccounts.userId, userId), accountId ? eq(mlAccounts.id, accountId) : undefined));
  return rows.map((row) => row.id);
}

const inAccounts = (column: PgColumn, ids: string[]) => (ids.length === 1 ? eq(column, ids[0]!) : inArray(column, ids));

/**
 * Rows after `after` in `(column dir, id dir)` order. Postgres sorts NULLs last ascending and
 * first descending, which is also what a backward scan of an ascending index yields, so the
 * same index serves both directions.
 */
function after(column: PgColumn | SQL, id: PgColumn, direction: "asc" | "desc", key: Keyset | undefined, notNull: boolean): SQL | undefined {
  if (!key) return undefined;
  const cmp = direction === "asc" ? sql`>` : sql`<`;
  if (notNull) return sql`(${column}, ${id}) ${cmp} (${key.value}, ${key.id})`;
  if (direction === "asc") {
    return key.value === null ? and(isNull(column as PgColumn), sql`${id} > ${key.id}`) : or(sql`(${column}, ${id}) > (${key.value}, ${key.id})`, isNull(column as PgColumn));
  }
  return key.value === null ? or(and(isNull(column as PgColumn), sql`${id} < ${key.id}`), isNotNull(column as PgColumn)) : sql`(${column}, ${id}) < (${key.value}, ${key.id})`;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

// ---------------------------------------------------------------------------------------------
// Listings

export const listingSorts = {
  "-updated": { column: mlListings.mlLastUpdated, direction: "desc", notNull: true },
  updated: { column: mlListings.mlLastUpdated, direction: "asc", notNull: true },
  title: { column: mlListings.title, direction: "asc", notNull: true },
  "-title": { column: mlListings.title, direction: "desc", notNull: true },
  price: { column: mlListings.price, direction: "asc", notNull: false },
  "-price": { column: mlListings.price, direction: "desc", notNull: false },
} as const;
export type ListingSort = keyof typeof listingSorts;

export interface ListingFilters {
  accountIds: string[];
  status?: string | undefined;
  sku?: string | undefined;
  text?: string | undefined;
  sort: ListingSort;
  after?: Keyset | undefined;
  limit: number;
}

export async function listListings(db: Database, filters: ListingFilters) {
  if (!filters.accountIds.length) return [];
  const sort = listingSorts[filters.sort];
  const order = sort.direction === "asc" ? [asc(sort.column), asc(mlListings.id)] : [desc(sort.column), desc(mlListings.id)];
  return db
    .select()
    .from(mlListings)
    .where(
      and(
        inAccounts(mlListings.accountId, filters.accountIds),
        filters.status ? eq(mlListings.status, filters.status) : undefined,
        // A UNION of two index lookups: an OR across the two tables would scan every listing of the account.
        filters.sku
          ? sql`${mlListings.id} in (select ${mlListings.id} from ${mlListings} where ${inAccounts(mlListings.accountId, filters.accountIds)} and ${mlListings.sellerSku} = ${filters.sku} union all select ${mlListingVariations.listingId} from ${mlListingVariations} where ${mlListingVariations.sellerSku} = ${filters.sku})`
          : undefined,
        filters.text ? ilike(mlListings.title, `%${escapeLike(filters.text)}%`) : undefined,
        after(sort.column, mlListings.id, sort.direction, filters.after, sort.notNull),
      ),
    )
    .orderBy(...order)
    .limit(filters.limit);
}

/** By our id or ML's item id ("MLB123"), within the caller's accounts. */
export async function findListing(db: Database, accountIds: string[], id: string) {
  if (!accountIds.length) return undefined;
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
  const [listing] = await db
    .select()
    .from(mlListings)
    .where(and(inAccounts(mlListings.accountId, accountIds), isUuid ? eq(mlListings.id, id) : eq(mlListings.mlItemId, id)))
    .limit(1);
  if (!listing) return undefined;
  const variations = await db.select().from(mlListingVariations).where(eq(mlListingVariations.listingId, listing.id)).orderBy(asc(mlListingVariations.mlVariationId));
  return { listing, variations };
}

// ---------------------------------------------------------------------------------------------
// Orders

export interface OrderFilters {
  accountIds: string[];
  status?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** An ML buyer id, or part of the buyer's nickname. */
  buyer?: string | undefined;
  after?: Keyset | undefined;
  limit: number;
}

export async function listOrders(db: Database, filters: OrderFilters) {
  if (!filters.accountIds.length) return [];
  const buyer = filters.buyer;
  return db
    .select()
    .from(mlOrders)
    .where(
      and(
        inAccounts(mlOrders.accountId, filters.accountIds),
        filters.status ? eq(mlOrders.status, filters.status) : undefined,
        filters.from ? gte(mlOrders.mlDateCreated, filters.from) : undefined,
        filters.to ? lte(mlOrders.mlDateCreated, filters.to) : undefined,
        buyer ? (/^\d+$/.test(buyer) ? eq(mlOrders.buyerId, Number(buyer)) : sql`${mlOrders.buyer}->>'nickname' ilike ${`%${escapeLike(buyer)}%`}`) : undefined,
        after(mlOrders.mlDateCreated, mlOrders.id, "desc", filters.after, false),
      ),
    )
    .orderBy(desc(mlOrders.mlDateCreated), desc(mlOrders.id))
    .limit(filters.limit);
}

/** By our id or ML's order id, with its items and (when we hold it) its shipment. */
export async function findOrder(db: Database, accountIds: string[], id: string) {
  if (!accountIds.length) return undefined;
  const condition = /^\d+$/.test(id) ? eq(mlOrders.mlOrderId, Number(id)) : /^[0-9a-f-]{36}$/i.test(id) ? eq(mlOrders.id, id) : undefined;
  if (!condition) return undefined;
  const [order] = await db
    .select()
    .from(mlOrders)
    .where(and(inAccounts(mlOrders.accountId, accountIds), condition))
    .limit(1);
  if (!order) return undefined;
  const [items, shipments] = await Promise.all([
    db.select().from(mlOrderItems).where(eq(mlOrderItems.orderId, order.id)).orderBy(asc(mlOrderItems.position)),
    order.shippingId
      ? db
          .select()
          .from(mlShipments)
          .where(and(eq(mlShipments.mlShipmentId, order.shippingId), eq(mlShipments.accountId, order.accountId)))
          .limit(1)
      : Promise.resolve([]),
  ]);
  return { order, items, shipment: shipments[0] ?? null };
}

// ---------------------------------------------------------------------------------------------
// Questions

const questionRank = sql<number>`(case when ${mlQuestions.status} = 'UNANSWERED' then 0 else 1 end)`;
const questionDate = sql`coalesce(${mlQuestions.mlDateCreated}, 'epoch'::timestamptz)`;

export interface QuestionFilters {
  accountIds: string[];
  status?: string | undefined;
  itemId?: string | undefined;
  /** The last row's rank (0 unanswered, 1 other), creation time and id. */
  after?: { rank: number; date: string; id: string } | undefined;
  limit: number;
}

/** Unanswered first, then newest first. */
export async function listQuestions(db: Database, filters: QuestionFilters) {
  if (!filters.accountIds.length) return [];
  const a = filters.after;
  return db
    .select({ question: mlQuestions, rank: questionRank })
    .from(mlQuestions)
    .where(
      and(
        inAccounts(mlQuestions.accountId, filters.accountIds),
        filters.status ? eq(mlQuestions.status, filters.status) : undefined,
        filters.itemId ? eq(mlQuestions.mlItemId, filters.itemId) : undefined,
        a ? sql`(${questionRank} > ${a.rank} or (${questionRank} = ${a.rank} and (${questionDate}, ${mlQuestions.id}) < (${a.date}::timestamptz, ${a.id})))` : undefined,
      ),
    )
    .orderBy(asc(questionRank), desc(questionDate), desc(mlQuestions.id))
    .limit(filters.limit);
}

export async function findQuestion(db: Database, accountIds: string[], mlQuestionId: number) {
  if (!accountIds.length) return undefined;
  const [row] = await db
    .select()
    .from(mlQuestions)
    .where(and(inAccounts(mlQuestions.accountId, accountIds), eq(mlQuestions.mlQuestionId, mlQuestionId)))
    .limit(1);
  return row;
}

// ---------------------------------------------------------------------------------------------
// Claims and shipments

export interface ClaimFilters {
  accountIds: string[];
  status?: string | undefined;
  after?: Keyset | undefined;
  limit: number;
}

export async function listClaims(db: Database, filters: ClaimFilters) {
  if (!filters.accountIds.length) return [];
  return db
    .select()
    .from(mlClaims)
    .where(
      and(
        inAccounts(mlClaims.accountId, filters.accountIds),
        filters.status ? eq(mlClaims.status, filters.status) : undefined,
        after(mlClaims.mlDateCreated, mlClaims.id, "desc", filters.after, false),
      ),
    )
    .orderBy(desc(mlClaims.mlDateCreated), desc(mlClaims.id))
    .limit(filters.limit);
}

export async function findShipment(db: Database, accountIds: string[], mlShipmentId: number) {
  if (!accountIds.length) return undefined;
  const [row] = await db
    .select()
    .from(mlShipments)
    .where(and(inAccounts(mlShipments.accountId, accountIds), eq(mlShipments.mlShipmentId, mlShipmentId)))
    .limit(1);
  return row;
}

/** The account whose order ships `mlShipmentId` (a shipment we have not stored yet is still theirs). */
export async function accountOfShipment(db: Database, accountIds: string[], mlShipmentId: number): Promise<string | undefined> {
  if (!accountIds.length) return undefined;
  const [row] = await db
    .select({ accountId: mlOrders.accountId })
    .from(mlOrders)
    .where(and(inAccounts(mlOrders.accountId, accountIds), eq(mlOrders.shippingId, mlShipmentId)))
    .limit(1);
  return row?.accountId;
}
