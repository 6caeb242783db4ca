import { z } from "zod";
import type { CallOptions, TinyAccountClient } from "./client";
import { paginationModel } from "./schemas";
import { callSignal, tinyId, tinyOptId, tinyOptNum, tinyOptStr, tinyRef } from "./wire";

/**
 * Typed helpers for /expedicao (shipping groups, "agrupamentos", and their labels) and the
 * order fields a label lookup needs. Models are named after tiny-v3-openapi.json components.
 */

/** FormaEnvioResponseModel. */
export const shippingMethodModel = z.looseObject({ id: tinyId, nome: tinyOptStr });

/** ListagemAgrupamentosModel (GET /expedicao items). */
export const shippingGroupListItemModel = z.looseObject({
  id: tinyId,
  identificacao: tinyOptStr,
  data: tinyOptStr,
  quantidadeObjetos: tinyOptNum,
  formaEnvio: tinyRef(shippingMethodModel),
});

export const shippingGroupPageModel = z.looseObject({ itens: z.array(shippingGroupListItemModel), paginacao: paginationModel });

/** ExpedicaoVendaResponseModel: the order a shipment carries. */
export const shipmentSaleModel = z.looseObject({ id: tinyId, numero: tinyOptNum, situacao: tinyOptNum });

/** ExpedicaoNotaResponseModel: the invoice a shipment carries. */
export const shipmentInvoiceModel = z.looseObject({ id: tinyId, numero: tinyOptNum });

/** ExpedicaoResponseModel. */
export const shipmentModel = z.looseObject({
  id: tinyId,
  situacao: tinyOptStr,
  venda: tinyRef(shipmentSaleModel),
  notaFiscal: tinyRef(shipmentInvoiceModel),
});

/** ObterAgrupamentoResponseModel (GET /expedicao/{idAgrupamento}). */
export const shippingGroupModel = z.looseObject({
  id: tinyId,
  identificacao: tinyOptStr,
  data: tinyOptStr,
  formaEnvio: tinyRef(shippingMethodModel),
  expedicoes: z
    .array(shipmentModel)
    .nullish()
    .transform((v) => v ?? []),
});

/** ObterEtiquetasResponseModel. */
export const labelsModel = z.looseObject({
  urls: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? []),
});

/** TransportadorResponseModel: how the order ships (narrows the shipping-group search). */
export const orderCarrierModel = z.looseObject({ formaEnvio: tinyRef(shippingMethodModel) });

/** ObterPedidoModelResponse, the fields a label lookup reads. */
export const orderShippingModel = z.looseObject({
  id: tinyId,
  numeroPedido: tinyOptNum,
  situacao: tinyOptNum,
  data: tinyOptStr,
  idNotaFiscal: tinyOptId,
  transportador: orderCarrierModel.nullish().transform((v) => v ?? null),
});

export type TinyShippingGroupPage = z.output<typeof shippingGroupPageModel>;
export type TinyShippingGroup = z.output<typeof shippingGroupModel>;
export type TinyOrderShipping = z.output<typeof orderShippingModel>;

/** Query filters of GET /expedicao (ListarAgrupamentosAction). */
export interface TinyShippingGroupFilters {
  idFormaEnvio?: number | undefined;
  /** "YYYY-MM-DD", São Paulo. */
  dataInicial?: string | undefined;
  dataFinal?: string | undefined;
  orderBy?: "asc" | "desc" | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export const tinyShippingSpecModels = {
  FormaEnvioResponseModel: shippingMethodModel,
  ListagemAgrupamentosModel: shippingGroupListItemModel,
  ExpedicaoVendaResponseModel: shipmentSaleModel,
  ExpedicaoNotaResponseModel: shipmentInvoiceModel,
  ExpedicaoResponseModel: shipmentModel,
  ObterAgrupamentoResponseModel: shippingGroupModel,
  ObterEtiquetasResponseModel: labelsModel,
  TransportadorResponseModel: orderCarrierModel,
  ObterPedidoModelResponse: orderShippingModel,
} as const;

export function tinyShippingApi(client: TinyAccountClient) {
  return {
    /** GET /expedicao — one page of shipping groups (no contents: those need the group itself). */
    listGroups: async (filters: TinyShippingGroupFilters, options?: CallOptions): Promise<TinyShippingGroupPage> =>
      (
        await client.request({
          method: "GET",
          path: "/expedicao",
          query: { idFormaEnvio: filters.idFormaEnvio, dataInicial: filters.dataInicial, dataFinal: filters.dataFinal, orderBy: filters.orderBy, limit: filters.limit, offset: filters.offset },
          schema: shippingGroupPageModel,
          ...callSignal(options),
        })
      ).data,
    /** GET /expedicao/{idAgrupamento} — the group with its shipments and what each carries. */
    getGroup: async (groupId: number, options?: CallOptions): Promise<TinyShippingGroup> =>
      (await client.request({ method: "GET", path: `/expedicao/${groupId}`, schema: shippingGroupModel, ...callSignal(options) })).data,
    /** GET /expedicao/{idAgrupamento}/expedicao/{idExpedicao}/etiquetas — links to one shipment's labels. */
    shipmentLabels: async (groupId: number, shipmentId: number, options?: CallOptions): Promise<string[]> =>
      (await client.request({ method: "GET", path: `/expedicao/${groupId}/expedicao/${shipmentId}/etiquetas`, schema: labelsModel, ...callSignal(options) })).data.urls,
    /** GET /pedidos/{idPedido}, read for its status, date, invoice and shipping method. */
    getOrder: async (orderId: number, options?: CallOptions): Promise<TinyOrderShipping> =>
      (await client.request({ method: "GET", path: `/pedidos/${orderId}`, schema: orderShippingModel, ...callSignal(options) })).data,
  };
}

export type TinyShippingApi = ReturnType<typeof tinyShippingApi>;
