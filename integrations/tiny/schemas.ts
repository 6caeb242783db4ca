import { z } from "zod";
import { tinyId as id, tinyNum as num, tinyOptNum as optNum, tinyOptStr as optStr, tinyRef } from "./wire";

/**
 * Response models of the endpoints we call, named and shaped after Tiny's published v3 spec
 * (tiny-v3-openapi.json, 2025-08; the contract test checks every field name below against
 * it). Loose on purpose: Tiny adds fields between spec versions and unknown ones pass
 * through untouched. Numbers are accepted as strings too and "" as "no value", because the
 * real API sends both where the spec says number. Everything the spec allows parses (the
 * property test feeds Prism's generated answers through every model) except the few fields
 * docs/tiny.md lists under "Fields we require", each with its reason.
 */

/** A description the spec makes nullable; "" is Tiny's own "no value" and keeps the type a string. */
const text = optStr.transform((v) => v ?? "");

/** ObterInfoContaModelResponse (GET /info). */
export const infoModel = z.looseObject({
  razaoSocial: optStr,
  cpfCnpj: optStr,
  fantasia: optStr,
  fone: optStr,
  email: optStr,
  inscricaoEstadual: optStr,
  regimeTributario: optNum,
});

/** PaginatedResultModel. */
export const paginationModel = z.looseObject({ limit: num, offset: num, total: num });

/** PrecoProdutoResponseModel. */
export const pricesModel = z.looseObject({
  preco: optNum,
  precoPromocional: optNum,
  precoCusto: optNum,
  precoCustoMedio: optNum,
});

/** ListagemProdutosResponseModel (GET /produtos items). */
export const productListItemModel = z.looseObject({
  id,
  sku: optStr,
  descricao: text,
  tipo: optStr,
  situacao: optStr,
  dataCriacao: optStr,
  dataAlteracao: optStr,
  unidade: optStr,
  gtin: optStr,
  precos: pricesModel.nullish().transform((v) => v ?? null),
});

export const productListModel = z.looseObject({ itens: z.array(productListItemModel), paginacao: paginationModel });

/** VariacaoProdutoResponseModel. */
export const productVariationModel = z.looseObject({
  id,
  descricao: optStr,
  sku: optStr,
  gtin: optStr,
  precos: pricesModel.nullish().transform((v) => v ?? null),
  grade: z
    .array(z.looseObject({ chave: optStr, valor: optStr }))
    .nullish()
    .transform((v) => v ?? []),
});

/** ProdutoResponseModel: a reference to a product (a product's parent, a kit's component). */
export const productRefModel = z.looseObject({ id, sku: optStr, descricao: optStr });

/** ObterProdutoModelResponse (GET /produtos/{idProduto}), the fields we use. */
export const productModel = z.looseObject({
  id,
  sku: optStr,
  descricao: text,
  tipo: optStr,
  situacao: optStr,
  unidade: optStr,
  gtin: optStr,
  produtoPai: tinyRef(productRefModel),
  precos: pricesModel.nullish().transform((v) => v ?? null),
  // A variation whose id is null can be neither read nor written; it is left out, not refused.
  variacoes: z
    .array(productVariationModel.extend({ id: id.nullish() }))
    .nullish()
    .transform((v) => (v ?? []).filter((variation): variation is TinyProductVariation => variation.id != null)),
});

/** DepositoModel (inside GET /estoque/{idProduto}). */
export const depositStockModel = z.looseObject({
  id,
  nome: optStr,
  desconsiderar: z
    .boolean()
    .nullish()
    .transform((v) => v ?? false),
  saldo: optNum,
  reservado: optNum,
  disponivel: optNum,
});

/** ObterEstoqueProdutoModelResponse (GET /estoque/{idProduto}). */
export const stockModel = z.looseObject({
  id,
  nome: optStr,
  codigo: optStr,
  unidade: optStr,
  saldo: optNum,
  reservado: optNum,
  disponivel: optNum,
  depositos: z
    .array(depositStockModel)
    .nullish()
    .transform((v) => v ?? []),
});

/** ProdutoKitResponseModel: one component of a kit (GET /produtos/{idProduto}/kit answers a bare array of them). */
export const kitComponentModel = z.looseObject({
  produto: productRefModel,
  quantidade: num,
});

export const kitModel = z.array(kitComponentModel);

/** CriarProdutoResponseModel: the answer to a create names the SKU `codigo`, not `sku`. */
export const createdProductModel = z.looseObject({ id, codigo: optStr, descricao: optStr });

/** CriarProdutoComVariacoesResponseModel (POST /produtos): the product and each variation created with it. */
export const createdProductWithVariationsModel = createdProductModel.extend({
  variacoes: z
    .array(createdProductModel)
    .nullish()
    .transform((v) => v ?? []),
});

export type TinyInfo = z.output<typeof infoModel>;
export type TinyPagination = z.output<typeof paginationModel>;
export type TinyPrices = z.output<typeof pricesModel>;
export type TinyProductListItem = z.output<typeof productListItemModel>;
export type TinyProductList = z.output<typeof productListModel>;
export type TinyProduct = z.output<typeof productModel>;
export type TinyProductVariation = z.output<typeof productVariationModel>;
export type TinyStock = z.output<typeof stockModel>;
export type TinyDepositStock = z.output<typeof depositStockModel>;
export type TinyKitItem = z.output<typeof kitComponentModel>;
export type TinyCreatedProduct = z.output<typeof createdProductWithVariationsModel>;

/** The fields of ProdutoModel (POST /produtos, PUT /produtos/{id}) the product sync sends. */
export interface TinyProductWrite {
  sku: string;
  descricao: string;
  unidade?: string | undefined;
  gtin?: string | undefined;
  precos?: { preco: number } | undefined;
}

/** A variation inside POST /produtos, or alone in POST /produtos/{id}/variacoes. */
export interface TinyVariationWrite {
  sku: string;
  gtin?: string | undefined;
  precos?: { preco: number } | undefined;
  grade: Array<{ chave: string; valor: string }>;
}

/** POST /produtos: `tipo` S (simple) or V (with variations; Tiny also infers V from `variacoes`). */
export interface TinyProductCreate extends TinyProductWrite {
  tipo: "S" | "V";
  /** The long description. Create only: the sync cannot tell a changed ML description without reading every listing's. */
  descricaoComplementar?: string | undefined;
  variacoes?: TinyVariationWrite[] | undefined;
}

/** Our models by the spec component they follow; the spec check walks this map. */
export const tinySpecModels = {
  ObterInfoContaModelResponse: infoModel,
  PaginatedResultModel: paginationModel,
  PrecoProdutoResponseModel: pricesModel,
  ListagemProdutosResponseModel: productListItemModel,
  VariacaoProdutoResponseModel: productVariationModel,
  ProdutoResponseModel: productRefModel,
  ObterProdutoModelResponse: productModel,
  DepositoModel: depositStockModel,
  ObterEstoqueProdutoModelResponse: stockModel,
  ProdutoKitResponseModel: kitComponentModel,
  CriarProdutoResponseModel: createdProductModel,
} as const;

/** Query filters of GET /produtos (ListarProdutosAction) we send. */
export interface TinyProductFilters {
  nome?: string | undefined;
  codigo?: string | undefined;
  /** Declared `integer` by the spec even though GTINs are digit strings. */
  gtin?: string | undefined;
  situacao?: "A" | "I" | "E" | undefined;
  /** "YYYY-MM-DD HH:mm:ss", São Paulo time (integrations/tiny/dates.ts). */
  dataAlteracao?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}
