import { and, eq, notInArray, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { ClaimRowInput, ListingRowInput, OrderRowInput, QuestionRowInput, ShipmentRowInput } from "../../core/ml-resources";
import type { Database } from "../database";
import { mlClaims, mlListings, mlListingVariations, mlOrderItems, mlOrders, mlQuestions, mlShipments } from "../schema";

/**
 * Upserts keyed on ML's ids. The `setWhere` guard is the "older state never overwrites a newer
 * one" rule: a row is only replaced by a state whose ML last-updated stamp is the same or newer
 * (equal replaces too, so a full answer can complete a 206 fetched at the same stamp). Each
 * returns `applied: false` when the stored state was newer, so callers can count stale fetches.
 */

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
    const [row] = await tx
      .insert(mlOrders)
      .values({ accountId, ...input.order })
      .onConflictDoUpdate({
        target: mlOrders.mlOrderId,
        set: {
          ...setFrom({
            accountId: mlOrders.accountId,
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
        setWhere: newerOrSame(mlOrders.mlLastUpdated),
      })
      .returning({ id: mlOrders.id });
    if (!row) return { applied: false, id: null };
    const positions = input.items.map((item) => item.position);
    await tx
      .delete(mlOrderItems)
      .where(positions.length ? and(eq(mlOrderItems.orderId, row.id), notInArray(mlOrderItems.position, positions)) : eq(mlOrderItems.orderId, row.id));
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
    const [row] = await tx
      .insert(mlListings)
      .values({ accountId, ...input.listing })
      .onConflictDoUpdate({
        target: mlListings.mlItemId,
        set: {
          ...setFrom({
            accountId: mlListings.accountId,
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
        setWhere: newerOrSame(mlListings.mlLastUpdated),
      })
      .returning({ id: mlListings.id });
    if (!row) return { applied: false, id: null };
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
  const [row] = await db
    .insert(mlQuestions)
    .values({ accountId, ...input })
    .onConflictDoUpdate({
      target: mlQuestions.mlQuestionId,
      set: {
        ...setFrom({
          accountId: mlQuestions.accountId,
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
      setWhere: newerOrSame(mlQuestions.mlLastUpdated),
    })
    // xmax = 0 only for a freshly inserted tuple: tells "new question" from "question changed".
    .returning({ id: mlQuestions.id, inserted: sql<boolean>`(xmax = 0)` });
  return row ? { applied: true, id: row.id, inserted: row.inserted } : { applied: false, id: null, inserted: false };
}

export async function upsertClaim(db: Database, accountId: string, input: ClaimRowInput): Promise<UpsertResult> {
  const [row] = await db
    .insert(mlClaims)
    .values({ accountId, ...input })
    .onConflictDoUpdate({
      target: mlClaims.mlClaimId,
      set: {
        ...setFrom({
          accountId: mlClaims.accountId,
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
      setWhere: newerOrSame(mlClaims.mlLastUpdated),
    })
    .returning({ id: mlClaims.id });
  return row ? { applied: true, id: row.id } : { applied: false, id: null };
}

export async function upsertShipment(db: Database, accountId: string, input: ShipmentRowInput): Promise<UpsertResult> {
  const [row] = await db
    .insert(mlShipments)
    .values({ accountId, ...input })
    .onConflictDoUpdate({
      target: mlShipments.mlShipmentId,
      set: {
        ...setFrom({
          accountId: mlShipments.accountId,
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
      setWhere: newerOrSame(mlShipments.mlLastUpdated),
    })
    .returning({ id: mlShipments.id });
  return row ? { applied: true, id: row.id } : { applied: false, id: null };
}

export async function findOrderByMlId(db: Database, mlOrderId: number) {
  const [row] = await db.select().from(mlOrders).where(eq(mlOrders.mlOrderId, mlOrderId)).limit(1);
  return row;
}
