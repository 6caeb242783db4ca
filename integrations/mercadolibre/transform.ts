import { z } from "zod";
import type { ClaimRowInput, ListingRowInput, MlResourceKind, OrderRowInput, QuestionRowInput, ShipmentRowInput } from "#db/queries/ml-data";

/**
 * MercadoLibre resources (mercadolibre-api.md §3–8) reduced to what we store. The schemas are
 * deliberately loose about everything we do not keep (ML adds fields without notice) and
 * strict about what the upserts depend on: the id and the last-updated stamp. Shared by the
 * webhook processor and the sync jobs so both write identical rows.
 *
 * Every row carries `mlSellerId`, the seller ML names for the resource (an item's or question's
 * `seller_id`, an order's `seller.id`, a claim's respondent, a shipment's sender). It is not
 * stored: the upserts refuse a row whose seller is not the account's ML user (null included),
 * because a notification's `user_id` is forgeable and many resources are readable by others.
 */

/** Resource kinds we fetch, and how a notification's `resource` names them. */
export type { MlResourceKind };

export interface MlResourceRef {
  kind: MlResourceKind;
  id: string;
}

// Which endpoint fetches each kind is the typed `*-api.ts` modules' business; this only names the resource.
const patterns: Array<{ kind: MlResourceKind; re: RegExp }> = [
  { kind: "orders", re: /^\/?orders\/(\d+)$/ },
  { kind: "items", re: /^\/?items\/([A-Z]{3}\d+)$/ },
  { kind: "questions", re: /^\/?questions\/(\d+)$/ },
  // The claim resource recently gained the /post-purchase prefix; older apps still see /v1/claims.
  { kind: "claims", re: /^\/?(?:post-purchase\/)?v1\/claims\/(\d+)$/ },
  { kind: "shipments", re: /^\/?shipments\/(\d+)$/ },
];

/** Parses a notification resource (with or without the leading slash). Null when it is not one we fetch. */
export function parseMlResource(resource: string): MlResourceRef | null {
  const trimmed = resource.trim().split("?")[0]!;
  for (const p of patterns) {
    const match = p.re.exec(trimmed);
    if (match) return { kind: p.kind, id: match[1]! };
  }
  return null;
}

const num = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);
const intId = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const date = z.string().refine((value) => !Number.isNaN(Date.parse(value)), "must be a date");
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? null);
/** Decimal amounts go to numeric columns as strings: no float rounding on the way. */
const amount = optional(num).transform((value) => (value === null ? null : value.toFixed(2)));

const attribute = z.looseObject({ id: z.string(), value_name: optional(z.string()), values: optional(z.array(z.looseObject({ name: optional(z.string()) }))) });
type Attribute = z.output<typeof attribute>;

function skuFrom(attributes: ReadonlyArray<Attribute> | null | undefined, customField: string | null): string | null {
  const fromAttribute = attributes?.find((a) => a.id === "SELLER_SKU")?.value_name;
  return fromAttribute || customField || null;
}

/**
 * The GTIN attribute (EAN/UPC). Tiny holds one code per product, so when ML lists several
 * values the first is kept. A variation's own GTIN sits in its `attributes` (present with
 * include_attributes=all); a category may also make GTIN a variating attribute, which puts it
 * in `attribute_combinations` instead.
 */
function gtinFrom(...sources: Array<ReadonlyArray<Attribute> | null | undefined>): string | null {
  for (const attributes of sources) {
    const found = attributes?.find((a) => a.id === "GTIN");
    const value = (found?.values?.find((v) => v.name?.trim())?.name ?? found?.value_name)?.trim();
    if (value) return value;
  }
  return null;
}

export const mlItemSchema = z.looseObject({
  id: z.string(),
  seller_id: optional(intId),
  title: z.string(),
  price: amount,
  currency_id: optional(z.string()),
  available_quantity: optional(z.number().int()),
  sold_quantity: optional(z.number().int()),
  status: z.string(),
  sub_status: optional(z.array(z.string())),
  permalink: optional(z.string()),
  thumbnail: optional(z.string()),
  category_id: optional(z.string()),
  listing_type_id: optional(z.string()),
  seller_custom_field: optional(z.string()),
  attributes: optional(z.array(attribute)),
  date_created: optional(date),
  last_updated: date,
  variations: optional(
    z.array(
      z.looseObject({
        id: intId,
        price: amount,
        available_quantity: optional(z.number().int()),
        sold_quantity: optional(z.number().int()),
        seller_custom_field: optional(z.string()),
        attributes: optional(z.array(attribute)),
        attribute_combinations: optional(z.array(attribute.extend({ name: optional(z.string()), value_id: optional(z.string()) }))),
        picture_ids: optional(z.array(z.string())),
      }),
    ),
  ),
});

export const mlOrderSchema = z.looseObject({
  id: intId,
  status: z.string(),
  status_detail: optional(z.unknown()).transform((value) => (typeof value === "string" ? value : value === null ? null : JSON.stringify(value))),
  pack_id: optional(intId),
  date_created: optional(date),
  date_closed: optional(date),
  last_updated: optional(date),
  date_last_updated: optional(date),
  currency_id: optional(z.string()),
  total_amount: amount,
  paid_amount: amount,
  shipping_cost: amount,
  order_items: optional(
    z.array(
      z.looseObject({
        item: z.looseObject({
          id: z.string(),
          title: optional(z.string()),
          variation_id: optional(intId),
          seller_sku: optional(z.string()),
          seller_custom_field: optional(z.string()),
          variation_attributes: optional(z.array(z.looseObject({ id: z.string(), name: optional(z.string()), value_name: optional(z.string()) }))),
        }),
        quantity: z.number().int(),
        unit_price: amount,
        full_unit_price: amount,
        sale_fee: amount,
        currency_id: optional(z.string()),
        listing_type_id: optional(z.string()),
      }),
    ),
  ),
  payments: optional(
    z.array(
      z.looseObject({
        id: intId,
        status: z.string(),
        status_detail: optional(z.string()),
        payment_method_id: optional(z.string()),
        payment_type: optional(z.string()),
        transaction_amount: amount,
        total_paid_amount: amount,
        transaction_amount_refunded: amount,
        installments: optional(z.number().int()),
        date_approved: optional(date),
        date_created: optional(date),
      }),
    ),
  ),
  shipping: optional(z.looseObject({ id: optional(intId) })),
  seller: optional(z.looseObject({ id: optional(intId) })),
  buyer: optional(z.looseObject({ id: intId, nickname: optional(z.string()), first_name: optional(z.string()), last_name: optional(z.string()) })),
  tags: optional(z.array(z.string())),
  cancel_detail: optional(z.record(z.string(), z.unknown())),
});

export const mlQuestionSchema = z.looseObject({
  id: intId,
  seller_id: optional(intId),
  item_id: z.string(),
  status: z.string(),
  text: optional(z.string()).transform((value) => value ?? ""),
  date_created: optional(date),
  last_updated: optional(date),
  from: optional(z.looseObject({ id: optional(intId) })),
  buyer_id: optional(intId),
  answer: optional(z.looseObject({ text: optional(z.string()), status: optional(z.string()), date_created: optional(date) })),
});

export const mlClaimSchema = z.looseObject({
  id: intId,
  resource: optional(z.string()),
  resource_id: optional(intId),
  type: optional(z.string()),
  stage: optional(z.string()),
  status: z.string(),
  reason_id: optional(z.string()),
  players: optional(z.array(z.unknown())),
  resolution: optional(z.record(z.string(), z.unknown())),
  date_created: optional(date),
  last_updated: optional(date),
});

export const mlShipmentSchema = z.looseObject({
  id: intId,
  status: z.string(),
  // The new format names the seller under origin; the old one at the top.
  origin: optional(z.looseObject({ sender_id: optional(intId) })),
  sender_id: optional(intId),
  substatus: optional(z.string()),
  tracking_number: optional(z.string()),
  tracking_method: optional(z.string()),
  logistic: optional(z.looseObject({ mode: optional(z.string()), type: optional(z.string()) })),
  // The old (non x-format-new) shape, which some accounts still get.
  mode: optional(z.string()),
  logistic_type: optional(z.string()),
  date_created: optional(date),
  last_updated: optional(date),
});

export type MlItem = z.output<typeof mlItemSchema>;
export type MlOrder = z.output<typeof mlOrderSchema>;
export type MlQuestion = z.output<typeof mlQuestionSchema>;
export type MlClaim = z.output<typeof mlClaimSchema>;
export type MlShipment = z.output<typeof mlShipmentSchema>;

const toDate = (value: string | null) => (value === null ? null : new Date(value));

const claimPlayer = z.looseObject({ role: optional(z.string()), type: optional(z.string()), user_id: optional(intId) });

/** The seller in a claim is its respondent; a player we cannot read names no one. */
function claimRespondent(players: readonly unknown[] | null): number | null {
  for (const raw of players ?? []) {
    const player = claimPlayer.safeParse(raw);
    if (player.success && player.data.role === "respondent" && player.data.type !== "buyer") return player.data.user_id;
  }
  return null;
}

/**
 * Resources without a last-updated stamp fall back to the time of our fetch: better a
 * possibly-redundant write than a row that can never be updated.
 */
function lastUpdated(value: string | null, fetchedAt: Date): Date {
  return value === null ? fetchedAt : new Date(value);
}

// `to…Row` read a raw body (a search page's records, each refused on its own); `…Row` take a body an
// endpoint module (`items-api.ts`, `orders-api.ts` …) already parsed with the same model.
export function toListingRow(raw: unknown, fetchedAt: Date): ListingRowInput {
  return listingRow(mlItemSchema.parse(raw), fetchedAt);
}

export function listingRow(item: MlItem, fetchedAt: Date): ListingRowInput {
  return {
    mlSellerId: item.seller_id,
    listing: {
      mlItemId: item.id,
      title: item.title,
      price: item.price,
      currencyId: item.currency_id,
      availableQuantity: item.available_quantity,
      soldQuantity: item.sold_quantity,
      status: item.status,
      subStatus: item.sub_status ?? [],
      permalink: item.permalink,
      thumbnail: item.thumbnail,
      categoryId: item.category_id,
      listingTypeId: item.listing_type_id,
      sellerSku: skuFrom(item.attributes, item.seller_custom_field),
      gtin: gtinFrom(item.attributes),
      mlDateCreated: toDate(item.date_created),
      mlLastUpdated: new Date(item.last_updated),
      fetchedAt,
    },
    variations: (item.variations ?? []).map((v) => ({
      mlVariationId: v.id,
      price: v.price,
      availableQuantity: v.available_quantity,
      soldQuantity: v.sold_quantity,
      sellerSku: skuFrom(v.attributes, v.seller_custom_field),
      gtin: gtinFrom(v.attributes, v.attribute_combinations),
      attributeCombinations: (v.attribute_combinations ?? []).map((a) => ({ id: a.id, name: a.name, valueId: a.value_id, valueName: a.value_name })),
      pictureIds: v.picture_ids ?? [],
    })),
  };
}

export function toOrderRow(raw: unknown, fetchedAt: Date, missingFields: string[] = []): OrderRowInput {
  return orderRow(mlOrderSchema.parse(raw), fetchedAt, missingFields);
}

export function orderRow(order: MlOrder, fetchedAt: Date, missingFields: string[] = []): OrderRowInput {
  return {
    mlSellerId: order.seller?.id ?? null,
    order: {
      mlOrderId: order.id,
      packId: order.pack_id,
      status: order.status,
      statusDetail: order.status_detail,
      currencyId: order.currency_id,
      totalAmount: order.total_amount,
      paidAmount: order.paid_amount,
      shippingCost: order.shipping_cost,
      buyerId: order.buyer?.id ?? null,
      buyer: order.buyer
        ? {
            id: order.buyer.id,
            nickname: order.buyer.nickname,
            ...(order.buyer.first_name ? { firstName: order.buyer.first_name } : {}),
            ...(order.buyer.last_name ? { lastName: order.buyer.last_name } : {}),
          }
        : null,
      payments: (order.payments ?? []).map((p) => ({
        id: p.id,
        status: p.status,
        statusDetail: p.status_detail,
        paymentMethodId: p.payment_method_id,
        paymentType: p.payment_type,
        transactionAmount: p.transaction_amount,
        totalPaidAmount: p.total_paid_amount,
        refundedAmount: p.transaction_amount_refunded,
        installments: p.installments,
        dateApproved: p.date_approved,
        dateCreated: p.date_created,
      })),
      shippingId: order.shipping?.id ?? null,
      tags: order.tags ?? [],
      cancelDetail: order.cancel_detail,
      missingFields,
      mlDateCreated: toDate(order.date_created),
      mlDateClosed: toDate(order.date_closed),
      mlLastUpdated: lastUpdated(order.last_updated ?? order.date_last_updated, fetchedAt),
      fetchedAt,
    },
    items: (order.order_items ?? []).map((entry, index) => ({
      position: index + 1,
      mlItemId: entry.item.id,
      mlVariationId: entry.item.variation_id,
      title: entry.item.title,
      sellerSku: entry.item.seller_sku ?? entry.item.seller_custom_field,
      quantity: entry.quantity,
      unitPrice: entry.unit_price,
      fullUnitPrice: entry.full_unit_price,
      saleFee: entry.sale_fee,
      currencyId: entry.currency_id,
      listingTypeId: entry.listing_type_id,
      variationAttributes: (entry.item.variation_attributes ?? []).map((a) => ({ id: a.id, name: a.name, valueName: a.value_name })),
    })),
  };
}

export function toQuestionRow(raw: unknown, fetchedAt: Date): QuestionRowInput {
  return questionRow(mlQuestionSchema.parse(raw), fetchedAt);
}

export function questionRow(q: MlQuestion, fetchedAt: Date): QuestionRowInput {
  return {
    mlSellerId: q.seller_id,
    mlQuestionId: q.id,
    mlItemId: q.item_id,
    buyerId: q.buyer_id ?? q.from?.id ?? null,
    status: q.status,
    text: q.text,
    answerText: q.answer?.text ?? null,
    answerStatus: q.answer?.status ?? null,
    answerDate: toDate(q.answer?.date_created ?? null),
    mlDateCreated: toDate(q.date_created),
    mlLastUpdated: lastUpdated(q.last_updated ?? q.answer?.date_created ?? q.date_created, fetchedAt),
    fetchedAt,
  };
}

export function toClaimRow(raw: unknown, fetchedAt: Date): ClaimRowInput {
  return claimRow(mlClaimSchema.parse(raw), fetchedAt);
}

export function claimRow(c: MlClaim, fetchedAt: Date): ClaimRowInput {
  return {
    mlSellerId: claimRespondent(c.players),
    mlClaimId: c.id,
    resource: c.resource,
    resourceId: c.resource_id,
    type: c.type,
    stage: c.stage,
    status: c.status,
    reasonId: c.reason_id,
    players: c.players ?? [],
    resolution: c.resolution,
    mlDateCreated: toDate(c.date_created),
    mlLastUpdated: lastUpdated(c.last_updated, fetchedAt),
    fetchedAt,
  };
}

export function toShipmentRow(raw: unknown, fetchedAt: Date): ShipmentRowInput {
  return shipmentRow(mlShipmentSchema.parse(raw), fetchedAt);
}

export function shipmentRow(s: MlShipment, fetchedAt: Date): ShipmentRowInput {
  const mode = s.logistic?.mode ?? s.mode;
  const type = s.logistic?.type ?? s.logistic_type;
  return {
    mlSellerId: s.origin?.sender_id ?? s.sender_id,
    mlShipmentId: s.id,
    status: s.status,
    substatus: s.substatus,
    trackingNumber: s.tracking_number,
    trackingMethod: s.tracking_method,
    logisticMode: mode,
    logisticType: type,
    labelAvailable:
      mode === "me2" && ["drop_off", "xd_drop_off", "cross_docking", "self_service"].includes(type ?? "") && s.status === "ready_to_ship" && ["ready_to_print", "printed"].includes(s.substatus ?? ""),
    mlDateCreated: toDate(s.date_created),
    mlLastUpdated: lastUpdated(s.last_updated, fetchedAt),
    fetchedAt,
  };
}

export type { ClaimRowInput, ListingRowInput, OrderRowInput, QuestionRowInput, ShipmentRowInput };
