import { z } from "@hono/zod-openapi";
import type { TinyShippingGroupPage } from "#integrations/tiny/shipping-api";
import type { ShippingLabel } from "#domain/shipping/labels";
import { orderedRange, tinyDate } from "./query.schemas";
import { limit, offset, optionalAccount } from "./tinyerp.schemas";

export const ShippingGroupsQuery = z
  .object({
    accountId: optionalAccount,
    dataInicial: tinyDate("Groups created on or after this day (São Paulo)"),
    dataFinal: tinyDate("Groups created on or before this day (São Paulo)"),
    shippingMethodId: z.coerce.number({ message: "must be a number" }).int().positive().max(Number.MAX_SAFE_INTEGER).optional().openapi({ description: "Tiny shipping method (forma de envio) id" }),
    limit: limit(100, 50),
    offset,
  })
  .superRefine(orderedRange);

const ShippingMethodSchema = z.object({ id: z.number().int(), name: z.string().nullable() });

export const ShippingGroupSchema = z
  .object({
    id: z.number().int(),
    name: z.string().nullable().openapi({ description: "Tiny's identificação of the group" }),
    date: z.string().nullable().openapi({ description: "YYYY-MM-DD, São Paulo" }),
    objects: z.number().int().nullable().openapi({ description: "Shipments (objects) in the group" }),
    shippingMethod: ShippingMethodSchema.nullable(),
  })
  .openapi("TinyShippingGroup");

export const ShippingGroupPageSchema = z
  .object({
    accountId: z.string().uuid(),
    items: z.array(ShippingGroupSchema),
    pagination: z.object({ limit: z.number().int(), offset: z.number().int(), total: z.number().int() }),
  })
  .openapi("TinyShippingGroupPage");

export function toShippingGroupPageDto(accountId: string, page: TinyShippingGroupPage): z.infer<typeof ShippingGroupPageSchema> {
  return {
    accountId,
    items: page.itens.map((g) => ({
      id: g.id,
      name: g.identificacao,
      date: g.data || null,
      objects: g.quantidadeObjetos,
      shippingMethod: g.formaEnvio && g.formaEnvio.id ? { id: g.formaEnvio.id, name: g.formaEnvio.nome } : null,
    })),
    pagination: page.paginacao,
  };
}

export const LabelParams = z.object({
  id: z
    .string()
    .uuid("must be a UUID")
    .openapi({ param: { name: "id", in: "path" }, description: "The order push id (POST /tinyerp/orders)" }),
});

export const LabelQuery = z.object({
  format: z.enum(["pdf", "zpl"], { message: "must be pdf or zpl" }).default("pdf").openapi({ description: "Mercado Envios labels only: pdf, or zpl (ML's ZIP holding the ZPL file)" }),
});

export const TinyShippingLabelSchema = z
  .object({
    source: z.literal("tiny"),
    pushId: z.string().uuid(),
    mlOrderId: z.number(),
    tinyOrderId: z.number().int(),
    shippingGroup: z.object({ id: z.number().int(), name: z.string().nullable(), date: z.string().nullable() }),
    shipmentId: z.number().int().openapi({ description: "The shipment (expedição) of this order inside the group" }),
    urls: z.array(z.string()).openapi({ description: "Tiny's label links for the shipment" }),
  })
  .openapi("TinyShippingLabel");

export function toTinyShippingLabelDto(label: Extract<ShippingLabel, { source: "tiny" }>): z.infer<typeof TinyShippingLabelSchema> {
  return { source: "tiny", pushId: label.push.id, mlOrderId: label.push.mlOrderId, tinyOrderId: label.tinyOrderId, shippingGroup: label.group, shipmentId: label.shipmentId, urls: label.urls };
}
