import { z } from "@hono/zod-openapi";
import { listingSorts } from "#db/queries/ml-read";
import type { MlClaim, MlListing, MlOrder, MlOrderItem, MlQuestion, MlShipment, MlSyncRun } from "#db/schema";
import { syncRunKinds, syncRunModes } from "#db/schema";
import { text } from "../text.schemas";

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const uuidParam = (name: string) =>
  z
    .string()
    .uuid("must be a UUID")
    .openapi({ param: { name, in: "path" } });
const limit = z.coerce.number({ message: "must be a number" }).int("must be a whole number").min(1).max(100).default(50).openapi({ description: "Page size, at most 100" });
const cursor = z.string().min(1).max(500).optional().openapi({ description: "nextCursor of the previous page" });
const account = z.string().uuid("must be a UUID").optional().openapi({ description: "Only this ML account (one of yours)" });
// ML ids are integers below 2^53 (where JSON numbers stay exact); a longer number names nothing
// and must not reach the database's bigint cast (or lose digits to Number()).
const withinMlIds = (value: string) => !/^\d+$/.test(value) || Number(value) <= Number.MAX_SAFE_INTEGER;
const uuidPattern = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const mlIdParam = (name: string) =>
  z
    .string()
    .regex(/^\d{1,16}$/, { message: "must be a numeric ML id", abort: true })
    .refine(withinMlIds, "must be a numeric ML id")
    .openapi({ param: { name, in: "path" } });
const booleanFlag = (description: string) =>
  z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("false")
    .transform((value) => value === "true")
    .openapi({ description });

export const AccountIdParams = z.object({ id: uuidParam("id") });
export const RunIdParams = z.object({ id: uuidParam("id") });

export const SyncRequest = z
  .object({
    kind: z.enum(syncRunKinds, { message: `must be one of ${syncRunKinds.join(", ")}` }).openapi({ description: "What to sync; all = listings, orders, questions and open claims" }),
    mode: z
      .enum(syncRunModes, { message: `must be one of ${syncRunModes.join(", ")}` })
      .default("full")
      .openapi({ description: "full, or incremental from the last successful run" }),
  })
  .strict();

const Counts = z.object({ seen: z.number().int(), applied: z.number().int(), stale: z.number().int(), failed: z.number().int() });

export const SyncRunSchema = z
  .object({
    id: z.string().uuid(),
    accountId: z.string().uuid(),
    kind: z.enum(syncRunKinds),
    mode: z.enum(syncRunModes),
    status: z.enum(["queued", "running", "succeeded", "failed"]),
    trigger: z.string(),
    phase: z.string().nullable().openapi({ description: "The phase the run is in (or stopped in)" }),
    percent: z.number().int(),
    counts: z.record(z.string(), Counts),
    apiCalls: z.number().int().openapi({ description: "Calls to ML made by this run, retries included" }),
    errors: z.array(z.object({ at: z.string(), phase: z.string().nullable(), message: z.string(), code: z.string().optional(), ids: z.array(z.string()).optional() })),
    lastError: z.string().nullable(),
    attempts: z.number().int(),
    createdAt: z.string().datetime(),
    startedAt: z.string().datetime().nullable(),
    finishedAt: z.string().datetime().nullable(),
    updatedAt: z.string().datetime(),
  })
  .openapi("MlSyncRun");

export const SyncStartedSchema = z.object({ run: SyncRunSchema, jobId: z.string() }).openapi("MlSyncStarted");

export const SyncConflictSchema = z
  .object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string(), code: z.string(), runId: z.string().uuid(), requestId: z.string().optional() })
  .openapi("MlSyncConflict");

export function toSyncRunDto(run: MlSyncRun): z.infer<typeof SyncRunSchema> {
  return {
    id: run.id,
    accountId: run.accountId,
    kind: run.kind,
    mode: run.mode,
    status: run.status,
    trigger: run.trigger,
    phase: run.cursor?.phase ?? null,
    percent: run.percent,
    counts: run.counts as Record<string, z.infer<typeof Counts>>,
    apiCalls: run.apiCalls,
    errors: run.errors,
    lastError: run.lastError,
    attempts: run.attempts,
    createdAt: run.createdAt.toISOString(),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    updatedAt: run.updatedAt.toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------

const sorts = Object.keys(listingSorts) as [keyof typeof listingSorts, ...(keyof typeof listingSorts)[]];

export const ListingListQuery = z.object({
  account,
  status: text().trim().min(1).max(40).optional().openapi({ description: "active, paused, closed, ..." }),
  sku: text().trim().min(1).max(200).optional().openapi({ description: "Seller SKU of the listing or of any of its variations (exact)" }),
  q: text().trim().min(1).max(200).optional().openapi({ description: "Text in the title (case-insensitive)" }),
  sort: z
    .enum(sorts, { message: `must be one of ${sorts.join(", ")}` })
    .default("-updated")
    .openapi({ description: "'-' = descending; default -updated (ML last-updated, newest first)" }),
  cursor,
  limit,
});

export const ListingParams = z.object({
  id: z
    .string()
    .regex(new RegExp(`^(?:[A-Z]{3}\\d{1,20}|${uuidPattern})$`), "must be an ML item id (MLB123…) or a listing UUID")
    .openapi({ param: { name: "id", in: "path" } }),
});
export const ListingGetQuery = z.object({ refresh: booleanFlag("true: read the listing from MercadoLibre now and store it first") });

const VariationSchema = z.object({
  mlVariationId: z.number().int(),
  price: z.string().nullable(),
  availableQuantity: z.number().int().nullable(),
  soldQuantity: z.number().int().nullable(),
  sellerSku: z.string().nullable(),
  attributeCombinations: z.array(z.object({ id: z.string(), name: z.string().nullable(), valueId: z.string().nullable(), valueName: z.string().nullable() })),
  pictureIds: z.array(z.string()),
});

export const ListingSchema = z
  .object({
    id: z.string().uuid(),
    accountId: z.string().uuid(),
    mlItemId: z.string(),
    title: z.string(),
    price: z.string().nullable().openapi({ description: "Decimal as a string (no float rounding)" }),
    currencyId: z.string().nullable(),
    availableQuantity: z.number().int().nullable(),
    soldQuantity: z.number().int().nullable(),
    status: z.string(),
    subStatus: z.array(z.string()),
    permalink: z.string().nullable(),
    thumbnail: z.string().nullable(),
    categoryId: z.string().nullable(),
    listingTypeId: z.string().nullable(),
    sellerSku: z.string().nullable(),
    mlDateCreated: z.string().datetime().nullable(),
    mlLastUpdated: z.string().datetime(),
    fetchedAt: z.string().datetime(),
  })
  .openapi("MlListing");

export const ListingDetailSchema = ListingSchema.extend({ variations: z.array(VariationSchema) }).openapi("MlListingDetail");
export const ListingPageSchema = z.object({ items: z.array(ListingSchema), nextCursor: z.string().nullable() }).openapi("MlListingPage");

export function toListingDto(row: MlListing): z.infer<typeof ListingSchema> {
  return {
    id: row.id,
    accountId: row.accountId,
    mlItemId: row.mlItemId,
    title: row.title,
    price: row.price,
    currencyId: row.currencyId,
    availableQuantity: row.availableQuantity,
    soldQuantity: row.soldQuantity,
    status: row.status,
    subStatus: row.subStatus,
    permalink: row.permalink,
    thumbnail: row.thumbnail,
    categoryId: row.categoryId,
    listingTypeId: row.listingTypeId,
    sellerSku: row.sellerSku,
    mlDateCreated: iso(row.mlDateCreated),
    mlLastUpdated: row.mlLastUpdated.toISOString(),
    fetchedAt: row.fetchedAt.toISOString(),
  };
}

export function toListingDetailDto(found: { listing: MlListing; variations: Array<z.infer<typeof VariationSchema>> }): z.infer<typeof ListingDetailSchema> {
  return {
    ...toListingDto(found.listing),
    variations: found.variations.map((v) => ({
      mlVariationId: v.mlVariationId,
      price: v.price,
      availableQuantity: v.availableQuantity,
      soldQuantity: v.soldQuantity,
      sellerSku: v.sellerSku,
      attributeCombinations: v.attributeCombinations,
      pictureIds: v.pictureIds,
    })),
  };
}

// ---------------------------------------------------------------------------------------------

const dateQuery = (description: string) =>
  z
    .string()
    .refine((value) => !Number.isNaN(Date.parse(value)), "must be an ISO 8601 date")
    .transform((value) => new Date(value))
    .optional()
    .openapi({ description, type: "string", format: "date-time" });

export const OrderListQuery = z
  .object({
    account,
    status: text().trim().min(1).max(40).optional().openapi({ description: "paid, confirmed, cancelled, ..." }),
    from: dateQuery("Created at or after"),
    to: dateQuery("Created at or before"),
    buyer: text().trim().min(1).max(100).refine(withinMlIds, "must be an ML buyer id or part of a nickname").optional().openapi({ description: "Buyer's ML id, or part of the nickname" }),
    cursor,
    limit,
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "must not be after to", path: ["from"] });

export const OrderParams = z.object({
  id: z
    .string()
    .regex(new RegExp(`^(?:\\d{1,16}|${uuidPattern})$`), { message: "must be an ML order id or an order UUID", abort: true })
    .refine(withinMlIds, "must be an ML order id or an order UUID")
    .openapi({ param: { name: "id", in: "path" } }),
});

export const OrderSchema = z
  .object({
    id: z.string().uuid(),
    accountId: z.string().uuid(),
    mlOrderId: z.number().int(),
    packId: z.number().int().nullable(),
    status: z.string(),
    statusDetail: z.string().nullable(),
    currencyId: z.string().nullable(),
    totalAmount: z.string().nullable(),
    paidAmount: z.string().nullable(),
    shippingCost: z.string().nullable(),
    buyer: z.object({ id: z.number().int(), nickname: z.string().nullable(), firstName: z.string().nullable().optional(), lastName: z.string().nullable().optional() }).nullable(),
    shippingId: z.number().int().nullable(),
    tags: z.array(z.string()),
    missingFields: z.array(z.string()).openapi({ description: "Fields ML could not return last time (206 X-Content-Missing)" }),
    mlDateCreated: z.string().datetime().nullable(),
    mlDateClosed: z.string().datetime().nullable(),
    mlLastUpdated: z.string().datetime(),
  })
  .openapi("MlOrder");

const OrderItemSchema = z.object({
  mlItemId: z.string(),
  mlVariationId: z.number().int().nullable(),
  title: z.string().nullable(),
  sellerSku: z.string().nullable(),
  quantity: z.number().int(),
  unitPrice: z.string().nullable(),
  fullUnitPrice: z.string().nullable(),
  saleFee: z.string().nullable(),
  currencyId: z.string().nullable(),
  listingTypeId: z.string().nullable(),
});

export const ShipmentSchema = z
  .object({
    id: z.string().uuid(),
    accountId: z.string().uuid(),
    mlShipmentId: z.number().int(),
    status: z.string(),
    substatus: z.string().nullable(),
    trackingNumber: z.string().nullable(),
    trackingMethod: z.string().nullable(),
    logisticMode: z.string().nullable(),
    logisticType: z.string().nullable(),
    labelAvailable: z.boolean(),
    mlDateCreated: z.string().datetime().nullable(),
    mlLastUpdated: z.string().datetime(),
  })
  .openapi("MlShipment");

const PaymentSchema = z.object({
  id: z.number().int(),
  status: z.string(),
  statusDetail: z.string().nullable(),
  paymentMethodId: z.string().nullable(),
  paymentType: z.string().nullable(),
  transactionAmount: z.string().nullable(),
  totalPaidAmount: z.string().nullable(),
  refundedAmount: z.string().nullable(),
  installments: z.number().int().nullable(),
  dateApproved: z.string().nullable(),
  dateCreated: z.string().nullable(),
});

export const OrderDetailSchema = OrderSchema.extend({ items: z.array(OrderItemSchema), payments: z.array(PaymentSchema), shipment: ShipmentSchema.nullable() }).openapi("MlOrderDetail");
export const OrderPageSchema = z.object({ items: z.array(OrderSchema), nextCursor: z.string().nullable() }).openapi("MlOrderPage");

export function toOrderDto(row: MlOrder): z.infer<typeof OrderSchema> {
  return {
    id: row.id,
    accountId: row.accountId,
    mlOrderId: row.mlOrderId,
    packId: row.packId,
    status: row.status,
    statusDetail: row.statusDetail,
    currencyId: row.currencyId,
    totalAmount: row.totalAmount,
    paidAmount: row.paidAmount,
    shippingCost: row.shippingCost,
    buyer: row.buyer,
    shippingId: row.shippingId,
    tags: row.tags,
    missingFields: row.missingFields,
    mlDateCreated: iso(row.mlDateCreated),
    mlDateClosed: iso(row.mlDateClosed),
    mlLastUpdated: row.mlLastUpdated.toISOString(),
  };
}

export function toShipmentDto(row: MlShipment): z.infer<typeof ShipmentSchema> {
  return {
    id: row.id,
    accountId: row.accountId,
    mlShipmentId: row.mlShipmentId,
    status: row.status,
    substatus: row.substatus,
    trackingNumber: row.trackingNumber,
    trackingMethod: row.trackingMethod,
    logisticMode: row.logisticMode,
    logisticType: row.logisticType,
    labelAvailable: row.labelAvailable,
    mlDateCreated: iso(row.mlDateCreated),
    mlLastUpdated: row.mlLastUpdated.toISOString(),
  };
}

export function toOrderDetailDto(found: { order: MlOrder; items: MlOrderItem[]; shipment: MlShipment | null }): z.infer<typeof OrderDetailSchema> {
  return {
    ...toOrderDto(found.order),
    items: found.items.map((i) => ({
      mlItemId: i.mlItemId,
      mlVariationId: i.mlVariationId,
      title: i.title,
      sellerSku: i.sellerSku,
      quantity: i.quantity,
      unitPrice: i.unitPrice,
      fullUnitPrice: i.fullUnitPrice,
      saleFee: i.saleFee,
      currencyId: i.currencyId,
      listingTypeId: i.listingTypeId,
    })),
    payments: found.order.payments,
    shipment: found.shipment ? toShipmentDto(found.shipment) : null,
  };
}

// ---------------------------------------------------------------------------------------------

export const QuestionListQuery = z.object({
  account,
  status: text().trim().min(1).max(40).optional().openapi({ description: "UNANSWERED, ANSWERED, ..." }),
  item: z
    .string()
    .regex(/^[A-Z]{3}\d{1,20}$/, "must be an ML item id")
    .optional(),
  cursor,
  limit,
});

export const QuestionParams = z.object({ id: mlIdParam("id") });

export const AnswerBody = z
  .object({
    text: text({ message: "is required" })
      .trim()
      .min(1, "must not be empty")
      // ML counts characters, not bytes or UTF-16 units.
      .refine((value) => [...value].length <= 2000, "must be at most 2,000 characters"),
  })
  .strict();

export const QuestionSchema = z
  .object({
    id: z.string().uuid(),
    accountId: z.string().uuid(),
    mlQuestionId: z.number().int(),
    mlItemId: z.string(),
    buyerId: z.number().int().nullable(),
    status: z.string(),
    text: z.string(),
    answerText: z.string().nullable(),
    answerStatus: z.string().nullable(),
    answerDate: z.string().datetime().nullable(),
    mlDateCreated: z.string().datetime().nullable(),
  })
  .openapi("MlQuestion");
export const QuestionPageSchema = z.object({ items: z.array(QuestionSchema), nextCursor: z.string().nullable() }).openapi("MlQuestionPage");

export function toQuestionDto(row: MlQuestion): z.infer<typeof QuestionSchema> {
  return {
    id: row.id,
    accountId: row.accountId,
    mlQuestionId: row.mlQuestionId,
    mlItemId: row.mlItemId,
    buyerId: row.buyerId,
    status: row.status,
    text: row.text,
    answerText: row.answerText,
    answerStatus: row.answerStatus,
    answerDate: iso(row.answerDate),
    mlDateCreated: iso(row.mlDateCreated),
  };
}

export const ClaimListQuery = z.object({
  account,
  status: z.enum(["opened", "closed"], { message: "must be opened or closed" }).optional(),
  cursor,
  limit,
});

export const ClaimSchema = z
  .object({
    id: z.string().uuid(),
    accountId: z.string().uuid(),
    mlClaimId: z.number().int(),
    resource: z.string().nullable(),
    resourceId: z.number().int().nullable(),
    type: z.string().nullable(),
    stage: z.string().nullable(),
    status: z.string(),
    reasonId: z.string().nullable(),
    players: z.array(z.unknown()),
    resolution: z.record(z.string(), z.unknown()).nullable(),
    mlDateCreated: z.string().datetime().nullable(),
    mlLastUpdated: z.string().datetime(),
  })
  .openapi("MlClaim");
export const ClaimPageSchema = z.object({ items: z.array(ClaimSchema), nextCursor: z.string().nullable() }).openapi("MlClaimPage");

export function toClaimDto(row: MlClaim): z.infer<typeof ClaimSchema> {
  return {
    id: row.id,
    accountId: row.accountId,
    mlClaimId: row.mlClaimId,
    resource: row.resource,
    resourceId: row.resourceId,
    type: row.type,
    stage: row.stage,
    status: row.status,
    reasonId: row.reasonId,
    players: row.players,
    resolution: row.resolution,
    mlDateCreated: iso(row.mlDateCreated),
    mlLastUpdated: row.mlLastUpdated.toISOString(),
  };
}

export const ShipmentParams = z.object({ id: mlIdParam("id") });
export const ShipmentGetQuery = z.object({ refresh: booleanFlag("true: read the shipment from MercadoLibre now and store it first") });
export const LabelQuery = z.object({ format: z.enum(["pdf", "zpl"], { message: "must be pdf or zpl" }).default("pdf") });
