import { z } from "zod";
import type { CallOptions, TinyAccountClient } from "./client";
import { paginationModel } from "./schemas";
import { callSignal, tinyId as id, tinyOptCode, tinyOptId, tinyOptNum, tinyOptStr as optStr } from "./wire";

/**
 * Typed helpers for the order and invoice endpoints (tiny-v3-openapi.json models
 * named in each comment). Built on `request`, so every call keeps the client's quota, token
 * renewal and error mapping; kept apart from client.ts so the catalogue and the order halves
 * can grow without editing one interface.
 */

/** CriarPedidoModelResponse: 201 observed, numeroPedido a string here and an int in reads. */
export const createdOrderModel = z.looseObject({ id, numeroPedido: tinyOptCode });
/** EcommerceResponseModel: the channel id is null for orders keyed in by hand. */
const ecommerceModel = z
  .looseObject({ id: tinyOptId, numeroPedidoEcommerce: optStr })
  .nullish()
  .transform((v) => v ?? null);
/** ListagemPedidoModelResponse (GET /pedidos items; no items, no markers). */
export const orderListItemModel = z.looseObject({
  id,
  situacao: tinyOptNum,
  numeroPedido: tinyOptCode,
  ecommerce: ecommerceModel,
});
export const orderListModel = z.looseObject({ itens: z.array(orderListItemModel), paginacao: paginationModel });
/** ObterPedidoModelResponse, the fields we show. */
export const orderModel = z.looseObject({
  id,
  numeroPedido: tinyOptCode,
  situacao: tinyOptNum,
  idNotaFiscal: tinyOptId,
  valorTotalPedido: tinyOptNum,
  dataFaturamento: optStr,
  ecommerce: ecommerceModel,
});

/** GerarNotaFiscalPedidoModelResponse. */
export const generatedInvoiceModel = z.looseObject({ id, numero: tinyOptId, serie: tinyOptId });
/** AutorizarNotaFiscalModelResponse (the XML is left out: we keep the key and the link). */
export const emittedInvoiceModel = z.looseObject({ id, chaveAcesso: optStr, linkAcesso: optStr, situacao: tinyOptNum });
/** ObterLinkNotaFiscalModelResponse. */
export const invoiceLinkModel = z.looseObject({ link: optStr });

export type TinyOrderListItem = z.output<typeof orderListItemModel>;
export type TinyOrder = z.output<typeof orderModel>;

/** CriarPedidoModelRequest, the subset we send. There is no markers field: they go afterwards. */
export interface TinyOrderInput {
  data?: string;
  idContato: number;
  numeroOrdemCompra?: string;
  observacoes?: string;
  valorFrete?: number;
  ecommerce?: { id: number; numeroPedidoEcommerce: string };
  itens: Array<{ produto: { id: number }; quantidade: number; valorUnitario: number }>;
}

/** Situação do pedido (§7.1): 1 is Faturada, not "open". */
export const tinyOrderSituacao: Record<number, string> = {
  8: "dados_incompletos",
  0: "aberto",
  3: "aprovado",
  4: "preparando_envio",
  1: "faturado",
  7: "pronto_envio",
  5: "enviado",
  6: "entregue",
  2: "cancelado",
  9: "nao_entregue",
};

export function tinyOrderApi(client: TinyAccountClient) {
  return {
    /** GET /contatos?cpfCnpj= or ?codigo= — first page is enough: both are meant to be unique. */
    /** POST /pedidos → 201 {id, numeroPedido}; 409 (no id) on a repeated payload or channel number. */
    createOrder: async (input: TinyOrderInput, options?: CallOptions) =>
      (await client.request({ method: "POST", path: "/pedidos", body: input, schema: createdOrderModel, ...callSignal(options) })).data,
    /** GET /pedidos?numeroPedidoEcommerce= — the number is only kept with a registered channel. */
    findOrdersByEcommerceNumber: async (numero: string, options?: CallOptions) =>
      (await client.request({ method: "GET", path: "/pedidos", query: { numeroPedidoEcommerce: numero, limit: 10 }, schema: orderListModel, ...callSignal(options) })).data.itens,
    /** GET /pedidos/{id}. */
    getOrder: async (orderId: number, options?: CallOptions) => (await client.request({ method: "GET", path: `/pedidos/${orderId}`, schema: orderModel, ...callSignal(options) })).data,
    /** PUT /pedidos/{id}/situacao → 204; setting the current situação again is harmless. */
    setOrderSituation: async (orderId: number, situacao: number, options?: CallOptions) => {
      await client.request({ method: "PUT", path: `/pedidos/${orderId}/situacao`, body: { situacao }, ...callSignal(options) });
    },
    /** POST /pedidos/{id}/lancar-estoque → 204; a second call is 400 "Estoque já lançado.", which order-followups.ts takes as done. */
    postOrderStock: async (orderId: number, options?: CallOptions) => {
      await client.request({ method: "POST", path: `/pedidos/${orderId}/lancar-estoque`, ...callSignal(options) });
    },
    /** POST /pedidos/{id}/estornar-estoque → 204, also when nothing was posted. */
    reverseOrderStock: async (orderId: number, options?: CallOptions) => {
      await client.request({ method: "POST", path: `/pedidos/${orderId}/estornar-estoque`, ...callSignal(options) });
    },
    /** POST /pedidos/{id}/lancar-contas → 204: the order's receivables in Tiny's finance. */
    postOrderReceivables: async (orderId: number, options?: CallOptions) => {
      await client.request({ method: "POST", path: `/pedidos/${orderId}/lancar-contas`, ...callSignal(options) });
    },
    /** POST /pedidos/{id}/estornar-contas → 204. */
    reverseOrderReceivables: async (orderId: number, options?: CallOptions) => {
      await client.request({ method: "POST", path: `/pedidos/${orderId}/estornar-contas`, ...callSignal(options) });
    },
    /** POST /pedidos/{id}/gerar-nota-fiscal → {id, numero, serie}; 400 when the order already has a live one. */
    generateInvoice: async (orderId: number, options?: CallOptions) =>
      (await client.request({ method: "POST", path: `/pedidos/${orderId}/gerar-nota-fiscal`, schema: generatedInvoiceModel, ...callSignal(options) })).data,
    /** POST /notas/{id}/emitir → authorisation at SEFAZ; emitting an authorised one again answers it unchanged. */
    emitInvoice: async (invoiceId: number, options?: CallOptions) =>
      (await client.request({ method: "POST", path: `/notas/${invoiceId}/emitir`, body: { enviarEmail: false }, schema: emittedInvoiceModel, ...callSignal(options) })).data,
    /** GET /notas/{id}/link → the DANFE link (only once authorised). */
    getInvoiceLink: async (invoiceId: number, options?: CallOptions) =>
      (await client.request({ method: "GET", path: `/notas/${invoiceId}/link`, schema: invoiceLinkModel, ...callSignal(options) })).data.link,
    /** POST /pedidos/{id}/marcadores → 204; adds (keeps existing ones), so repeating it is harmless. */
    addOrderMarkers: async (orderId: number, markers: string[], options?: CallOptions) => {
      await client.request({ method: "POST", path: `/pedidos/${orderId}/marcadores`, body: markers.map((descricao) => ({ descricao })), ...callSignal(options) });
    },
  };
}

export type TinyOrderApi = ReturnType<typeof tinyOrderApi>;
