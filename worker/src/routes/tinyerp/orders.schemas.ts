import { z } from "@hono/zod-openapi";
import type { TinyOrder } from "#integrations/tiny";
import type { TinyOrderPush } from "#db/queries/tiny-orders";
import { tinyOrderPushStatus } from "#db/schema";
import { situacaoSlug } from "../../services/tinyerp-orders";

const iso = (value: Date | null) => (value ? value.toISOString() : null);

export const PushOrderBody = z
  .object({
    mlOrderId: z.number({ message: "must be a number" }).int().positive().openapi({ description: "The MercadoLibre order id", example: 2000012345678 }),
    accountId: z.string().uuid("must be a UUID").optional().openapi({ description: "Tiny account; may be omitted when you have exactly one" }),
  })
  .openapi("TinyOrderPushRequest");

export const AccountParams = z.object({
  id: z
    .string()
    .uuid("must be a UUID")
    .openapi({ param: { name: "id", in: "path" } }),
});

export const MlChannelBody = z
  .object({
    channelId: z
      .number({ message: "must be a number or null" })
      .int("must be a whole number")
      .positive("must be a positive id")
      .nullable()
      .openapi({ description: "Id of the account's Mercado Livre e-commerce channel in Tiny (Configurações → E-commerce); null clears it" }),
  })
  .strict()
  .openapi("TinyMlChannel");

export const MlChannelSchema = z.object({ accountId: z.string().uuid(), mlEcommerceChannelId: z.number().nullable() }).openapi("TinyMlChannelSetting");

export const OrderPushParams = z.object({
  id: z
    .string()
    .uuid("must be a UUID")
    .openapi({ param: { name: "id", in: "path" } }),
});

const ReasonSchema = z.object({
  code: z.string().openapi({ description: "unlinked_item, no_items, no_buyer, no_ml_channel, tiny_rejected, outcome_unknown, step_refused" }),
  message: z.string(),
  mlItemId: z.string().optional(),
  mlVariationId: z.number().nullable().optional(),
});

export const OrderPushSchema = z
  .object({
    id: z.string().uuid(),
    tinyAccountId: z.string().uuid(),
    mlOrderId: z.number(),
    status: z.enum(tinyOrderPushStatus.enumValues).openapi({
      description:
        "intent: recorded; sending: create in flight; unknown: create outcome lost, looked up before any retry; created; failed: see reasons; cancelled: the ML order was cancelled before Tiny had it",
    }),
    inProgress: z.boolean().openapi({ description: "Another push of this order held it; this request changed nothing" }),
    tinyOrderId: z.number().nullable(),
    tinyOrderNumber: z.string().nullable(),
    tinyContactId: z.number().nullable(),
    markersAdded: z.boolean(),
    attempts: z.number(),
    tinyCalls: z.number().openapi({ description: "Tiny calls spent on this order over all attempts" }),
    lastError: z.string().nullable(),
    lastErrorAt: z.string().datetime().nullable(),
    failureReasons: z.array(ReasonSchema),
    invoice: z
      .object({
        id: z.number().nullable(),
        number: z.string().nullable(),
        key: z.string().nullable().openapi({ description: "NF-e access key (chave de acesso), once authorised" }),
        link: z.string().nullable().openapi({ description: "DANFE link" }),
        situation: z.number().nullable().openapi({ description: "Tiny's nota situação: 6 autorizada, 5 rejeitada, …" }),
        emittedAt: z.string().datetime().nullable(),
        error: z.string().nullable().openapi({ description: "Why generating or emitting it was refused; resend after fixing it in Tiny" }),
      })
      .nullable()
      .openapi({ description: "Null until an invoice was generated or refused (only when the account invoices on paid)" }),
    stock: z.object({
      postedAt: z.string().datetime().nullable().openapi({ description: "The sale's stock posted in Tiny (once, when the ML order is paid)" }),
      returnedAt: z.string().datetime().nullable().openapi({ description: "Returned after the ML order was cancelled (once)" }),
    }),
    receivables: z.object({ postedAt: z.string().datetime().nullable(), reversedAt: z.string().datetime().nullable() }),
    cancelledInTinyAt: z.string().datetime().nullable(),
    createdInTinyAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi("TinyOrderPush");

export const OrderPushListQuery = z.object({
  accountId: z.string().uuid("must be a UUID").optional().openapi({ description: "Only this Tiny account's pushes" }),
  status: z.enum(tinyOrderPushStatus.enumValues, { message: `must be one of ${tinyOrderPushStatus.enumValues.join(", ")}` }).optional(),
  needsAttention: z
    .enum(["true", "false"], { message: "must be true or false" })
    .transform((v) => v === "true")
    .optional()
    .openapi({ description: "true: only the error list — failed, unknown, a refused step or a refused invoice" }),
  limit: z.coerce.number({ message: "must be a number" }).int().min(1).max(200).default(50),
  offset: z.coerce.number({ message: "must be a number" }).int().min(0).max(1_000_000).default(0),
});

export const OrderPushListSchema = z
  .object({ items: z.array(OrderPushSchema), pagination: z.object({ limit: z.number().int(), offset: z.number().int(), total: z.number().int() }) })
  .openapi("TinyOrderPushList");

export const OrderPushViewSchema = OrderPushSchema.extend({
  tiny: z
    .object({ id: z.number(), numeroPedido: z.string().nullable(), situacao: z.number().nullable(), status: z.string(), idNotaFiscal: z.number().nullable(), total: z.number().nullable() })
    .nullable()
    .openapi({ description: "Tiny's order read live; null before it exists or when Tiny could not be read (tinyError says why)" }),
  tinyError: z.string().nullable(),
}).openapi("TinyOrderPushView");

export function toOrderPushDto(push: TinyOrderPush, inProgress = false): z.infer<typeof OrderPushSchema> {
  return {
    id: push.id,
    tinyAccountId: push.tinyAccountId,
    mlOrderId: push.mlOrderId,
    status: push.status,
    inProgress,
    tinyOrderId: push.tinyOrderId,
    tinyOrderNumber: push.tinyOrderNumber,
    tinyContactId: push.tinyContactId,
    markersAdded: push.markersAddedAt !== null,
    attempts: push.attempts,
    tinyCalls: push.tinyCalls,
    lastError: push.lastError,
    lastErrorAt: iso(push.lastErrorAt),
    failureReasons: push.failureReasons,
    invoice:
      push.invoiceId === null && push.invoiceError === null
        ? null
        : {
            id: push.invoiceId,
            number: push.invoiceNumber,
            key: push.invoiceKey,
            link: push.invoiceLink,
            situation: push.invoiceSituation,
            emittedAt: iso(push.invoiceEmittedAt),
            error: push.invoiceError,
          },
    stock: { postedAt: iso(push.stockPostedAt), returnedAt: iso(push.stockReturnedAt) },
    receivables: { postedAt: iso(push.receivablesPostedAt), reversedAt: iso(push.receivablesReversedAt) },
    cancelledInTinyAt: iso(push.tinyCancelledAt),
    createdInTinyAt: iso(push.createdInTinyAt),
    createdAt: push.createdAt.toISOString(),
    updatedAt: push.updatedAt.toISOString(),
  };
}

export function toLiveTinyOrderDto(order: TinyOrder | null) {
  if (!order) return null;
  return {
    id: order.id,
    numeroPedido: order.numeroPedido,
    situacao: order.situacao,
    status: situacaoSlug(order.situacao),
    idNotaFiscal: order.idNotaFiscal ? order.idNotaFiscal : null,
    total: order.valorTotalPedido ?? null,
  };
}
