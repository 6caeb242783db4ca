import { bigint, boolean, index, integer, jsonb, numeric, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { lifecycle, primaryId, utc } from "./columns";
import { mlAccounts } from "./ml-accounts";

/**
 * MercadoLibre data as the seller's account sees it (mercadolibre-api.md §3–8). The webhook
 * pipeline and the sync jobs both write these rows, always through the upserts in
 * db/queries/ml-data.ts: keyed on ML's ids, and guarded by ML's own last-updated stamp so an
 * older state fetched late never overwrites a newer one. Money is numeric(14,2) as ML sends it
 * (decimal amounts in the listing's currency), never a float. Every row belongs to an ML
 * account, and through it to a user; tenant checks join through `account_id`.
 *
 * `fetched_at` is when the fetch that produced the row *started*: a notification created
 * before that moment is already reflected and needs no second GET.
 */

const money = (name: string) => numeric(name, { precision: 14, scale: 2 });
const mlId = (name: string) => bigint(name, { mode: "number" });
const account = () =>
  uuid("account_id")
    .notNull()
    .references(() => mlAccounts.id, { onDelete: "cascade" });

export const mlListings = pgTable(
  "ml_listings",
  {
    id: primaryId(),
    accountId: account(),
    mlItemId: text("ml_item_id").notNull(),
    title: text("title").notNull(),
    price: money("price"),
    currencyId: text("currency_id"),
    availableQuantity: integer("available_quantity"),
    soldQuantity: integer("sold_quantity"),
    status: text("status").notNull(),
    subStatus: text("sub_status").array().notNull().default([]),
    permalink: text("permalink"),
    thumbnail: text("thumbnail"),
    categoryId: text("category_id"),
    listingTypeId: text("listing_type_id"),
    /** SELLER_SKU attribute, falling back to seller_custom_field (ML's two places for it). */
    sellerSku: text("seller_sku"),
    /** GTIN attribute (EAN/UPC), carried to the Tiny product. */
    gtin: text("gtin"),
    mlDateCreated: utc("ml_date_created"),
    mlLastUpdated: utc("ml_last_updated").notNull(),
    fetchedAt: utc("fetched_at").notNull(),
    ...lifecycle,
  },
  (t) => [
    uniqueIndex("ml_listings_ml_item_id_key").on(t.mlItemId),
    index("ml_listings_account_idx").on(t.accountId, t.status),
    index("ml_listings_account_sku_idx").on(t.accountId, t.sellerSku),
    // Keyset pages of GET /ml/listings, one per sort (issue 6).
    index("ml_listings_account_updated_idx").on(t.accountId, t.mlLastUpdated, t.id),
    index("ml_listings_account_title_idx").on(t.accountId, t.title, t.id),
    index("ml_listings_account_price_idx").on(t.accountId, t.price, t.id),
  ],
);

export const mlListingVariations = pgTable(
  "ml_listing_variations",
  {
    id: primaryId(),
    listingId: uuid("listing_id")
      .notNull()
      .references(() => mlListings.id, { onDelete: "cascade" }),
    mlVariationId: mlId("ml_variation_id").notNull(),
    price: money("price"),
    availableQuantity: integer("available_quantity"),
    soldQuantity: integer("sold_quantity"),
    sellerSku: text("seller_sku"),
    gtin: text("gtin"),
    attributeCombinations: jsonb("attribute_combinations").$type<Array<{ id: string; name: string | null; valueId: string | null; valueName: string | null }>>().notNull().default([]),
    pictureIds: text("picture_ids").array().notNull().default([]),
    ...lifecycle,
  },
  (t) => [
    uniqueIndex("ml_listing_variations_ml_id_key").on(t.mlVariationId),
    index("ml_listing_variations_listing_idx").on(t.listingId),
    // GET /ml/listings?sku= also finds listings whose SKU lives on a variation (issue 6).
    index("ml_listing_variations_sku_idx").on(t.sellerSku),
  ],
);

export interface MlBuyerSnapshot {
  id: number;
  nickname: string | null;
  firstName?: string | null;
  lastName?: string | null;
  /** Billing document (CPF/CNPJ) when the order's billing info was fetched; the Tiny contact is keyed on it. */
  docType?: string | null;
  docNumber?: string | null;
}

export interface MlPaymentSummary {
  id: number;
  status: string;
  statusDetail: string | null;
  paymentMethodId: string | null;
  paymentType: string | null;
  transactionAmount: string | null;
  totalPaidAmount: string | null;
  refundedAmount: string | null;
  installments: number | null;
  dateApproved: string | null;
  dateCreated: string | null;
}

export const mlOrders = pgTable(
  "ml_orders",
  {
    id: primaryId(),
    accountId: account(),
    mlOrderId: mlId("ml_order_id").notNull(),
    packId: mlId("pack_id"),
    status: text("status").notNull(),
    statusDetail: text("status_detail"),
    currencyId: text("currency_id"),
    totalAmount: money("total_amount"),
    paidAmount: money("paid_amount"),
    shippingCost: money("shipping_cost"),
    buyerId: mlId("buyer_id"),
    buyer: jsonb("buyer").$type<MlBuyerSnapshot>(),
    payments: jsonb("payments").$type<MlPaymentSummary[]>().notNull().default([]),
    shippingId: mlId("shipping_id"),
    tags: text("tags").array().notNull().default([]),
    cancelDetail: jsonb("cancel_detail").$type<Record<string, unknown>>(),
    /** X-Content-Missing of a 206: these fields kept their previous value (or stay empty). */
    missingFields: text("missing_fields").array().notNull().default([]),
    mlDateCreated: utc("ml_date_created"),
    mlDateClosed: utc("ml_date_closed"),
    mlLastUpdated: utc("ml_last_updated").notNull(),
    fetchedAt: utc("fetched_at").notNull(),
    ...lifecycle,
  },
  (t) => [
    uniqueIndex("ml_orders_ml_order_id_key").on(t.mlOrderId),
    index("ml_orders_account_created_idx").on(t.accountId, t.mlDateCreated),
    index("ml_orders_account_status_idx").on(t.accountId, t.status),
    index("ml_orders_pack_idx").on(t.packId),
    index("ml_orders_shipping_idx").on(t.shippingId),
    // Keyset pages of GET /ml/orders (newest first, id breaks ties) and its buyer filter (issue 6).
    index("ml_orders_account_created_id_idx").on(t.accountId, t.mlDateCreated, t.id),
    index("ml_orders_account_buyer_idx").on(t.accountId, t.buyerId),
    // GET /ml/orders?status= reads newest first within one status: without it most orders (paid) get sorted per request.
    index("ml_orders_account_status_created_idx").on(t.accountId, t.status, t.mlDateCreated, t.id),
  ],
);

/** ML orders carry one item today (several units), but the wire format is a list: keep it one. */
export const mlOrderItems = pgTable(
  "ml_order_items",
  {
    id: primaryId(),
    orderId: uuid("order_id")
      .notNull()
      .references(() => mlOrders.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    mlItemId: text("ml_item_id").notNull(),
    mlVariationId: mlId("ml_variation_id"),
    title: text("title"),
    sellerSku: text("seller_sku"),
    quantity: integer("quantity").notNull(),
    unitPrice: money("unit_price"),
    fullUnitPrice: money("full_unit_price"),
    saleFee: money("sale_fee"),
    currencyId: text("currency_id"),
    listingTypeId: text("listing_type_id"),
    variationAttributes: jsonb("variation_attributes").$type<Array<{ id: string; name: string | null; valueName: string | null }>>().notNull().default([]),
  },
  (t) => [uniqueIndex("ml_order_items_order_position_key").on(t.orderId, t.position), index("ml_order_items_item_idx").on(t.mlItemId)],
);

export const mlQuestions = pgTable(
  "ml_questions",
  {
    id: primaryId(),
    accountId: account(),
    mlQuestionId: mlId("ml_question_id").notNull(),
    mlItemId: text("ml_item_id").notNull(),
    buyerId: mlId("buyer_id"),
    status: text("status").notNull(),
    text: text("text").notNull(),
    answerText: text("answer_text"),
    answerStatus: text("answer_status"),
    answerDate: utc("answer_date"),
    mlDateCreated: utc("ml_date_created"),
    mlLastUpdated: utc("ml_last_updated").notNull(),
    fetchedAt: utc("fetched_at").notNull(),
    ...lifecycle,
  },
  (t) => [uniqueIndex("ml_questions_ml_question_id_key").on(t.mlQuestionId), index("ml_questions_account_status_idx").on(t.accountId, t.status, t.mlDateCreated)],
);

export const mlClaims = pgTable(
  "ml_claims",
  {
    id: primaryId(),
    accountId: account(),
    mlClaimId: mlId("ml_claim_id").notNull(),
    /** What the claim is about (`order`, `payment`, `shipment`, `purchase`) and its id. */
    resource: text("resource"),
    resourceId: mlId("resource_id"),
    type: text("type"),
    stage: text("stage"),
    status: text("status").notNull(),
    reasonId: text("reason_id"),
    players: jsonb("players").$type<unknown[]>().notNull().default([]),
    resolution: jsonb("resolution").$type<Record<string, unknown>>(),
    mlDateCreated: utc("ml_date_created"),
    mlLastUpdated: utc("ml_last_updated").notNull(),
    fetchedAt: utc("fetched_at").notNull(),
    ...lifecycle,
  },
  (t) => [uniqueIndex("ml_claims_ml_claim_id_key").on(t.mlClaimId), index("ml_claims_account_status_idx").on(t.accountId, t.status)],
);

export const mlShipments = pgTable(
  "ml_shipments",
  {
    id: primaryId(),
    accountId: account(),
    mlShipmentId: mlId("ml_shipment_id").notNull(),
    status: text("status").notNull(),
    substatus: text("substatus"),
    trackingNumber: text("tracking_number"),
    trackingMethod: text("tracking_method"),
    logisticMode: text("logistic_mode"),
    logisticType: text("logistic_type"),
    /** Labels print only for me2 shipments ready_to_ship with ready_to_print/printed (§8). */
    labelAvailable: boolean("label_available").notNull().default(false),
    mlDateCreated: utc("ml_date_created"),
    mlLastUpdated: utc("ml_last_updated").notNull(),
    fetchedAt: utc("fetched_at").notNull(),
    ...lifecycle,
  },
  (t) => [uniqueIndex("ml_shipments_ml_shipment_id_key").on(t.mlShipmentId), index("ml_shipments_account_status_idx").on(t.accountId, t.status)],
);

export type MlListing = typeof mlListings.$inferSelect;
export type MlOrder = typeof mlOrders.$inferSelect;
export type MlOrderItem = typeof mlOrderItems.$inferSelect;
export type MlQuestion = typeof mlQuestions.$inferSelect;
export type MlClaim = typeof mlClaims.$inferSelect;
export type MlShipment = typeof mlShipments.$inferSelect;
