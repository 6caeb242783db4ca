import { z } from "@hono/zod-openapi";
import { tinyReceivableSituacoes, type TinyReceivable, type TinyReceivableListItem } from "#integrations/tiny/finance-api";
import type { OrderReceivables } from "#domain/orders/receivables";
import { orderedRange, tinyDate } from "./query.schemas";
import { limit, offset, optionalAccount } from "./tinyerp.schemas";

export const ReceivablesQuery = z
  .object({
    accountId: optionalAccount,
    situacao: z
      .enum(tinyReceivableSituacoes, { message: `must be one of ${tinyReceivableSituacoes.join(", ")}` })
      .optional()
      .openapi({ description: "Tiny's situação of the receivable" }),
    dataInicial: tinyDate("Issued on or after this day (São Paulo)"),
    dataFinal: tinyDate("Issued on or before this day (São Paulo)"),
    limit: limit(100, 50),
    offset,
  })
  .superRefine(orderedRange);

export const OrderParams = z.object({
  id: z
    .string()
    .uuid("must be a UUID")
    .openapi({ param: { name: "id", in: "path" }, description: "The order push id (POST /tinyerp/orders)" }),
});

const day = z.string().nullable().openapi({ description: "YYYY-MM-DD, São Paulo" });
const Party = z.object({ id: z.number().int(), name: z.string().nullable() });

export const ReceivableSchema = z
  .object({
    id: z.number().int(),
    status: z.string().nullable().openapi({ description: "aberto, parcial, pago, prevista or cancelada" }),
    issueDate: day,
    dueDate: day,
    amount: z.number().nullable(),
    documentNumber: z.string().nullable(),
    history: z.string().nullable(),
    customer: Party.extend({ cpfCnpj: z.string().nullable() }).nullable(),
  })
  .openapi("TinyReceivable");

export const ReceivablePageSchema = z
  .object({
    accountId: z.string().uuid(),
    items: z.array(ReceivableSchema),
    pagination: z.object({ limit: z.number().int(), offset: z.number().int(), total: z.number().int() }),
  })
  .openapi("TinyReceivablePage");

const empty = (value: string | null) => value || null;

export function toReceivableDto(r: TinyReceivableListItem): z.infer<typeof ReceivableSchema> {
  return {
    id: r.id,
    status: r.situacao,
    issueDate: empty(r.data),
    dueDate: empty(r.dataVencimento),
    amount: r.valor,
    documentNumber: empty(r.numeroDocumento),
    history: empty(r.historico),
    customer: r.cliente ? { id: r.cliente.id, name: r.cliente.nome, cpfCnpj: empty(r.cliente.cpfCnpj) } : null,
  };
}

export const ReceivableDetailSchema = ReceivableSchema.extend({
  balance: z.number().nullable().openapi({ description: "What is still to be received" }),
  paid: z.number().nullable(),
  paidDate: day.openapi({ description: "Settlement date (dataLiquidacao); null while unpaid" }),
  installments: z.number().int().nullable(),
  category: Party.nullable(),
  paymentForm: Party.nullable(),
}).openapi("TinyReceivableDetail");

export function toReceivableDetailDto(r: TinyReceivable): z.infer<typeof ReceivableDetailSchema> {
  return {
    ...toReceivableDto(r),
    balance: r.saldo,
    paid: r.valorPago,
    paidDate: empty(r.dataLiquidacao),
    installments: r.quantidadeParcelas,
    category: r.categoria && r.categoria.id ? { id: r.categoria.id, name: r.categoria.descricao } : null,
    paymentForm: r.formaRecebimento && r.formaRecebimento.id ? { id: r.formaRecebimento.id, name: r.formaRecebimento.nome } : null,
  };
}

export const OrderReceivablesSchema = z
  .object({
    pushId: z.string().uuid(),
    mlOrderId: z.number(),
    tinyOrderId: z.number().int(),
    matchedBy: z.enum(["idVenda", "idNota"]).nullable().openapi({ description: "idVenda: posted from the order; idNota: posted from its invoice; null: none posted yet" }),
    items: z.array(ReceivableDetailSchema),
  })
  .openapi("TinyOrderReceivables");

export function toOrderReceivablesDto(r: OrderReceivables): z.infer<typeof OrderReceivablesSchema> {
  return { pushId: r.push.id, mlOrderId: r.push.mlOrderId, tinyOrderId: r.tinyOrderId, matchedBy: r.matchedBy, items: r.items.map(toReceivableDetailDto) };
}
