import { and, eq, notInArray, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { AppError } from "#core/errors";
import type { Database } from "../database";
import { mlAccounts, mlClaims, mlListings, mlListingVariations, mlOrderItems, mlOrders, mlQuestions, mlShipments } from "../schema";

/**
 * Upserts keyed on ML's ids. The `setWhere` guard is the "older state never overwrites a newer
 * one" rule: a row is only replaced by a state whose ML last-updated stamp is the same or newer
 * (equal replaces too, so a full answer can complete a 206 fetched at the same stamp). Each
 * returns `applied: false` when the stored state was newer, so callers can count stale fetches.
 *
 * Tenancy is decided here, for every path that stores ML data (webhooks, replays, syncs,
 * recovery, listing changes, the Worker's refreshes): a row is written only under the account
 * whose ML user ML names as the resource's seller, and an upsert never moves a row from one
 * account to another (`account_id` is not in the SET, and the conflict update only applies
 * within the same account). Either refusal throws ForeignResourceError before anything is written.
 */

/** ML resource kinds we store, named as a notification's resource names them. */
export type MlResourceKind = "orders" | "items" | "questions" | "claims" | "shipments";

/**
 * What the upserts take: our row's columns (the transform in integrations/mercadolibre builds
 * them from ML's bodies) plus `mlSellerId`, the seller ML named, which decides the tenant.
 */
type Fresh<T> = Omit<T, "id" | "accountId" | "createdAt" | "updatedAt">;
interface Sold {
  mlSellerId: number | null;
}
export interface ListingRowInput extends Sold {
  listing: Fresh<typeof mlListings.$inferInsert>;
  variations: Omit<typeof mlListingVariations.$inferInsert, "id" | "listingId" | "createdAt" | "updatedAt">[];
}
export interface OrderRowInput extends Sold {
  order: Fresh<typeof mlOrders.$inferInsert>;
  items: Omit<typeof mlOrderItems.$inferInsert, "id" | "orderId">[];
}
export type QuestionRowInput = Sold & Fresh<typeof mlQuestions.$inferInsert>;
export type ClaimRowInput = Sold & Fresh<typeof mlClaims.$inferInsert>;
export type ShipmentRowInput = Sold & Fresh<typeof mlShipments.$inferInsert>;

export type ForeignReason = "not_the_seller" | "held_by_another_account";

/** ML data that is not the account's to store. Permanent: fetching it again gives the same answer. */
export class ForeignResourceError extends AppError {
  constructor(
    readonly kind: MlResourceKind,
    readonly mlId: string,
    readonly reason: ForeignReason,
  ) {
    super("conflict", reason === "not_the_seller" ? `MercadoLibre does not name this account's seller as the seller of ${kind} ${mlId}.` : `${kind} ${mlId} belongs to another account.`, {
      retryable: false,
    });
    this.name = "ForeignResourceError";
  }
}

/** Throws unless ML's seller of the resource is the account's ML user. */
async function assertSoldBy(db: Database, accountId: string, kind: MlResourceKind, mlId: string | number, mlSellerId: number | null): Promise<void> {
  const [account] = await db.select({ mlUserId: mlAccounts.mlUserId }).from(mlAccounts).where(eq(mlAccounts.id, accountId)).limit(1);
  if (!account) throw new AppError("not_found", "No such MercadoLibre account.", { retryable: false });
  if (mlSellerId === null || mlSellerId !== account.mlUserId) throw new ForeignResourceError(kind, String(mlId), "not_the_seller");
}

type AccountOwned = typeof mlListings | typeof mlOrders | typeof mlQuestions | typeof mlClaims | typeof mlShipments;

/**
 * After an upsert changed nothing: stale (ours is newer), or refused because another account holds
 * the ML id. The second cannot happen honestly (one ML seller is one account), so it is an error.
 */
async function assertNotHeldElsewhere(db: Database, kind: MlResourceKind, table: AccountOwned, idColumn: PgColumn, mlId: string | number, accountId: string): Promise<void> {
  const [holder] = await db.select({ accountId: table.accountId }).from(table).where(eq(idColumn, mlId)).limit(1);
  if (holder && holder.accountId !== accountId) throw new ForeignResourceError(kind, String(mlId), "held_by_another_account");
}

/** The conflict update's guard: same account, and the incoming state is not older than ours. */
const sameAccountAndNewer = (table: AccountOwned, accountId: string, lastUpdated: PgColumn) => and(eq(table.accountId, accountId), newerOrSame(lastUpdated));

export interface UpsertResult {
  applied: boolean;
  /** Our row id (present when applied). */
  id: string | null;
}

const excluded = (column: PgColumn): SQL => sql.raw(`excluded."${column.name}"`);

function setFrom<T extends Record<string, PgColumn>>(columns: T): Record<keyof T, SQL> {
  return Object.fromEntries(Object.entries(columns).map(([key, column]) => [key, excluded(column)])) as Record<keyof T, SQL>;
}

const newerOrSame = (current: PgColumn) => sql`${current} <= ${excluded(current)}`;

export async function upsertOrder(db: Database, accountId: string, input: OrderRowInput): Promise<UpsertResult> {
  return db.transaction(async (tx) => {
    await assertSoldBy(tx, accountId, "orders", input.order.mlOrderId, input.mlSellerId);
    const [row] = await tx
      .insert(mlOrders)
      .values({ accountId, ...input.order })
      .onConflictDoUpdate({
        target: mlOrders.mlOrderId,
        set: {
          ...setFrom({
            packId: mlOrders.packId,
            status: mlOrders.status,
            statusDetail: mlOrders.statusDetail,
            currencyId: mlOrders.currencyId,
            totalAmount: mlOrders.totalAmount,
            paidAmount: mlOrders.paidAmount,
            shippingCost: mlOrders.shippingCost,
            payments: mlOrders.payments,
            tags: mlOrders.tags,
            cancelDetail: mlOrders.cancelDetail,
            missingFields: mlOrders.missingFields,
            mlDateCreated: mlOrders.mlDateCreated,
            mlDateClosed: mlOrders.mlDateClosed,
            mlLastUpdated: mlOrders.mlLastUpdated,
            fetchedAt: mlOrders.fetchedAt,
          }),
          // A 206 leaves out buyer/shipping: keep what an earlier full answer gave us.
          buyer: sql`coalesce(${excluded(mlOrders.buyer)}, ${mlOrders.buyer})`,
          buyerId: sql`coalesce(${excluded(mlOrders.buyerId)}, ${mlOrders.buyerId})`,
          shippingId: sql`coalesce(${excluded(mlOrders.shippingId)}, ${mlOrders.shippingId})`,
          updatedAt: sql`now()`,
        },
        setWhere: sameAccountAndNewer(mlOrders, accountId, mlOrders.mlLastUpdated),
      })
      .returning({ id: mlOrders.id });
    if (!row) {
      await assertNotHeldElsewhere(tx, "orders", mlOrders, mlOrders.mlOrderId, input.order.mlOrderId, accountId);
      return { applied: false, id: null };
    }
    const positions = input.items.map((item) => item.position);
    await tx.delete(mlOrderItems).where(positions.length ? and(eq(mlOrderItems.orderId, row.id), notInArray(mlOrderItems.position, positions)) : eq(mlOrderItems.orderId, row.id));
    if (input.items.length) {
      await tx
        .insert(mlOrderItems)
        .values(input.items.map((item) => ({ orderId: row.id, ...item })))
        .onConflictDoUpdate({
          target: [mlOrderItems.orderId, mlOrderItems.position],
          set: setFrom({
            mlItemId: mlOrderItems.mlItemId,
            mlVariationId: mlOrderItems.mlVariationId,
            title: mlOrderItems.title,
            sellerSku: mlOrderItems.sellerSku,
            quantity: mlOrderItems.quantity,
            unitPrice: mlOrderItems.unitPrice,
            fullUnitPrice: mlOrderItems.fullUnitPrice,
            saleFee: mlOrderItems.saleFee,
            currencyId: mlOrderItems.currencyId,
            listingTypeId: mlOrderItems.listingTypeId,
            variationAttributes: mlOrderItems.variationAttributes,
          }),
        });
    }
    return { applied: true, id: row.id };
  });
}

export async function upsertListing(db: Database, accountId: string, input: ListingRowInput): Promise<UpsertResult> {
  return db.transaction(async (tx) => {
    await assertSoldBy(tx, accountId, "items", input.listing.mlItemId, input.mlSellerId);
    const [row] = await tx
      .insert(mlListings)
      .values({ accountId, ...input.listing })
      .onConflictDoUpdate({
        target: mlListings.mlItemId,
        set: {
          ...setFrom({
            title: mlListings.title,
            price: mlListings.price,
            currencyId: mlListings.currencyId,
            availableQuantity: mlListings.availableQuantity,
            soldQuantity: mlListings.soldQuantity,
            status: mlListings.status,
            subStatus: mlListings.subStatus,
            permalink: mlListings.permalink,
            thumbnail: mlListings.thumbnail,
            categoryId: mlListings.categoryId,
            listingTypeId: mlListings.listingTypeId,
            sellerSku: mlListings.sellerSku,
            gtin: mlListings.gtin,
            mlDateCreated: mlListings.mlDateCreated,
            mlLastUpdated: mlListings.mlLastUpdated,
            fetchedAt: mlListings.fetchedAt,
          }),
          updatedAt: sql`now()`,
        },
        setWhere: sameAccountAndNewer(mlListings, accountId, mlListings.mlLastUpdated),
      })
      .returning({ id: mlListings.id });
    if (!row) {
      await assertNotHeldElsewhere(tx, "items", mlListings, mlListings.mlItemId, input.listing.mlItemId, accountId);
      return { applied: false, id: null };
    }
    // Variations are addressed by ML id: ones ML no longer lists are gone from the listing.
    const ids = input.variations.map((v) => v.mlVariationId);
    await tx
      .delete(mlListingVariations)
      .where(ids.length ? and(eq(mlListingVariations.listingId, row.id), notInArray(mlListingVariations.mlVariationId, ids)) : eq(mlListingVariations.listingId, row.id));
    if (input.variations.length) {
      await tx
        .insert(mlListingVariations)
        .values(input.variations.map((v) => ({ listingId: row.id, ...v })))
        .onConflictDoUpdate({
          target: mlListingVariations.mlVariationId,
          set: {
            ...setFrom({
              listingId: mlListingVariations.listingId,
              price: mlListingVariations.price,
              availableQuantity: mlListingVariations.availableQuantity,
              soldQuantity: mlListingVariations.soldQuantity,
              sellerSku: mlListingVariations.sellerSku,
              gtin: mlListingVariations.gtin,
              attributeCombinations: mlListingVariations.attributeCombinations,
              pictureIds: mlListingVariations.pictureIds,
            }),
            updatedAt: sql`now()`,
          },
        });
    }
    return { applied: true, id: row.id };
  });
}

export async function upsertQuestion(db: Database, accountId: string, input: QuestionRowInput): Promise<UpsertResult & { inserted: boolean }> {
  const { mlSellerId, ...values } = input;
  await assertSoldBy(db, accountId, "questions", values.mlQuestionId, mlSellerId);
  const [row] = await db
    .insert(mlQuestions)
    .values({ accountId, ...values })
    .onConflictDoUpdate({
      target: mlQuestions.mlQuestionId,
      set: {
        ...setFrom({
          mlItemId: mlQuestions.mlItemId,
          buyerId: mlQuestions.buyerId,
          status: mlQuestions.status,
          text: mlQuestions.text,
          answerText: mlQuestions.answerText,
          answerStatus: mlQuestions.answerStatus,
          answerDate: mlQuestions.answerDate,
          mlDateCreated: mlQuestions.mlDateCreated,
          mlLastUpdated: mlQuestions.mlLastUpdated,
          fetchedAt: mlQuestions.fetchedAt,
        }),
        updatedAt: sql`now()`,
      },
      setWhere: sameAccountAndNewer(mlQuestions, accountId, mlQuestions.mlLastUpdated),
    })
    // xmax = 0 only for a freshly inserted tuple: tells "new question" from "question changed".
    .returning({ id: mlQuestions.id, inserted: sql<boolean>`(xmax = 0)` });
  if (row) return { applied: true, id: row.id, inserted: row.inserted };
  await assertNotHeldElsewhere(db, "questions", mlQuestions, mlQuestions.mlQuestionId, values.mlQuestionId, accountId);
  return { applied: false, id: null, inserted: false };
}

export async function upsertClaim(db: Database, accountId: string, input: ClaimRowInput): Promise<UpsertResult> {
  const { mlSellerId, ...values } = input;
  await assertSoldBy(db, accountId, "claims", values.mlClaimId, mlSellerId);
  const [row] = await db
    .insert(mlClaims)
    .values({ accountId, ...values })
    .onConflictDoUpdate({
      target: mlClaims.mlClaimId,
      set: {
        ...setFrom({
          resource: mlClaims.resource,
          resourceId: mlClaims.resourceId,
          type: mlClaims.type,
          stage: mlClaims.stage,
          status: mlClaims.status,
          reasonId: mlClaims.reasonId,
          players: mlClaims.players,
          resolution: mlClaims.resolution,
          mlDateCreated: mlClaims.mlDateCreated,
          mlLastUpdated: mlClaims.mlLastUpdated,
          fetchedAt: mlClaims.fetchedAt,
        }),
        updatedAt: sql`now()`,
      },
      setWhere: sameAccountAndNewer(mlClaims, accountId, mlClaims.mlLastUpdated),
    })
    .returning({ id: mlClaims.id });
  if (row) return { applied: true, id: row.id };
  await assertNotHeldElsewhere(db, "claims", mlClaims, mlClaims.mlClaimId, values.mlClaimId, accountId);
  return { applied: false, id: null };
}

export async function upsertShipment(db: Database, accountId: string, input: ShipmentRowInput): Promise<UpsertResult> {
  const { mlSellerId, ...values } = input;
  await assertSoldBy(db, accountId, "shipments", values.mlShipmentId, mlSellerId);
  const [row] = await db
    .insert(mlShipments)
    .values({ accountId, ...values })
    .onConflictDoUpdate({
      target: mlShipments.mlShipmentId,
      set: {
        ...setFrom({
          status: mlShipments.status,
          substatus: mlShipments.substatus,
          trackingNumber: mlShipments.trackingNumber,
          trackingMethod: mlShipments.trackingMethod,
          logisticMode: mlShipments.logisticMode,
          logisticType: mlShipments.logisticType,
          labelAvailable: mlShipments.labelAvailable,
          mlDateCreated: mlShipments.mlDateCreated,
          mlLastUpdated: mlShipments.mlLastUpdated,
          fetchedAt: mlShipments.fetchedAt,
        }),
        updatedAt: sql`now()`,
      },
      setWhere: sameAccountAndNewer(mlShipments, accountId, mlShipments.mlLastUpdated),
    })
    .returning({ id: mlShipments.id });
  if (row) return { applied: true, id: row.id };
  await assertNotHeldElsewhere(db, "shipments", mlShipments, mlShipments.mlShipmentId, values.mlShipmentId, accountId);
  return { applied: false, id: null };
}

export async function findOrderByMlId(db: Database, mlOrderId: number) {
  const [row] = await db.select().from(mlOrders).where(eq(mlOrders.mlOrderId, mlOrderId)).limit(1);
  return row;
}
