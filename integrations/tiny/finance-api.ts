import { z } from "zod";
import type { CallOptions, TinyAccountClient } from "./client";
import { paginationModel } from "./schemas";
import { callSignal, tinyId, tinyOptNum, tinyOptStr, tinyRef } from "./wire";

/**
 * Typed helpers for /contas-receber (receivables), named after tiny-v3-openapi.json components.
 * A receivable names neither its order nor its invoice in any answer: the link exists only as
 * the `idVenda` / `idNota` filters of the list, which is how callers find an order's receivables.
 */

/** ContatoModelResponse: the customer inside a receivable. */
export const receivableCustomerModel = z.looseObject({ id: tinyId, nome: tinyOptStr, codigo: tinyOptStr, cpfCnpj: tinyOptStr });

/** ListagemContasReceberResponseModel (GET /contas-receber items). */
export const receivableListItemModel = z.looseObject({
  id: tinyId,
  situacao: tinyOptStr,
  data: tinyOptStr,
  dataVencimento: tinyOptStr,
  historico: tinyOptStr,
  valor: tinyOptNum,
  numeroDocumento: tinyOptStr,
  cliente: tinyRef(receivableCustomerModel),
});

export const receivablePageModel = z.looseObject({ itens: z.array(receivableListItemModel), paginacao: paginationModel });

/** CategoriaReceitaDespesaResponseModel. */
export const incomeCategoryModel = z.looseObject({ id: tinyId, descricao: tinyOptStr });

/** FormaRecebimentoResponseModel. */
export const paymentFormModel = z.looseObject({ id: tinyId, nome: tinyOptStr });

/** ObterContaReceberResponseModel (GET /contas-receber/{idContaReceber}). */
export const receivableModel = z.looseObject({
  id: tinyId,
  situacao: tinyOptStr,
  data: tinyOptStr,
  dataVencimento: tinyOptStr,
  dataLiquidacao: tinyOptStr,
  numeroDocumento: tinyOptStr,
  quantidadeParcelas: tinyOptNum,
  valor: tinyOptNum,
  saldo: tinyOptNum,
  valorPago: tinyOptNum,
  cliente: tinyRef(receivableCustomerModel),
  categoria: tinyRef(incomeCategoryModel),
  formaRecebimento: tinyRef(paymentFormModel),
  historico: tinyOptStr,
});

export type TinyReceivableListItem = z.output<typeof receivableListItemModel>;
export type TinyReceivablePage = z.output<typeof receivablePageModel>;
export type TinyReceivable = z.output<typeof receivableModel>;

export const tinyReceivableSituacoes = ["aberto", "cancelada", "pago", "parcial", "prevista"] as const;
export type TinyReceivableSituacao = (typeof tinyReceivableSituacoes)[number];

/** Query filters of GET /contas-receber (ListarContasReceberAction) we send; dates "YYYY-MM-DD", São Paulo. */
export interface TinyReceivableFilters {
  situacao?: TinyReceivableSituacao | undefined;
  dataInicialEmissao?: string | undefined;
  dataFinalEmissao?: string | undefined;
  dataInicialVencimento?: string | undefined;
  dataFinalVencimento?: string | undefined;
  numeroDocumento?: string | undefined;
  nomeCliente?: string | undefined;
  /** The order (venda) the receivables were posted from. */
  idVenda?: number | undefined;
  /** The invoice they were posted from. */
  idNota?: number | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export const tinyFinanceSpecModels = {
  ContatoModelResponse: receivableCustomerModel,
  ListagemContasReceberResponseModel: receivableListItemModel,
  CategoriaReceitaDespesaResponseModel: incomeCategoryModel,
  FormaRecebimentoResponseModel: paymentFormModel,
  ObterContaReceberResponseModel: receivableModel,
} as const;

export function tinyFinanceApi(client: TinyAccountClient) {
  return {
    /** GET /contas-receber — one page. */
    listReceivables: async (filters: TinyReceivableFilters, options?: CallOptions): Promise<TinyReceivablePage> =>
      (
        await client.request({
          method: "GET",
          path: "/contas-receber",
          query: {
            situacao: filters.situacao,
            dataInicialEmissao: filters.dataInicialEmissao,
            dataFinalEmissao: filters.dataFinalEmissao,
            dataInicialVencimento: filters.dataInicialVencimento,
            dataFinalVencimento: filters.dataFinalVencimento,
            numeroDocumento: filters.numeroDocumento,
            nomeCliente: filters.nomeCliente,
            idVenda: filters.idVenda,
            idNota: filters.idNota,
            limit: filters.limit,
            offset: filters.offset,
          },
          schema: receivablePageModel,
          ...callSignal(options),
        })
      ).data,
    /** GET /contas-receber/{idContaReceber} — adds balance, paid amount, payment date and form. */
    getReceivable: async (receivableId: number, options?: CallOptions): Promise<TinyReceivable> =>
      (await client.request({ method: "GET", path: `/contas-receber/${receivableId}`, schema: receivableModel, ...callSignal(options) })).data,
  };
}

export type TinyFinanceApi = ReturnType<typeof tinyFinanceApi>;
