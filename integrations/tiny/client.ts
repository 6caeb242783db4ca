import type { z } from "zod";
import { TinyApiError } from "./errors";
import {
  createdProductModel,
  createdProductWithVariationsModel,
  infoModel,
  kitModel,
  productListModel,
  productModel,
  stockModel,
  type TinyCreatedProduct,
  type TinyInfo,
  type TinyKitItem,
  type TinyProduct,
  type TinyProductCreate,
  type TinyProductFilters,
  type TinyProductList,
  type TinyProductWrite,
  type TinyStock,
  type TinyVariationWrite,
} from "./schemas";
import type { TinyTokenManager } from "./tokens";
import { tinyCall, type TinyAuthProvider, type TinyCall, type TinyTransportDeps } from "./transport";

/**
 * The one Tiny client. Every call of every runtime goes through `tinyCall`: the company's
 * shared quota, token renewal on 401, retries and ErrorDTO → AppError. Methods are typed
 * from the spec models in schemas.ts.
 */
export interface TinyAccountClient {
  readonly accountId: string;
  /** GET /info — the company behind the token. */
  info(options?: CallOptions): Promise<TinyInfo>;
  /** GET /produtos — one page; Tiny caps `limit` (100), so callers page with `offset`. */
  listProducts(filters?: TinyProductFilters, options?: CallOptions): Promise<TinyProductList>;
  /** GET /produtos/{idProduto}. */
  getProduct(productId: number, options?: CallOptions): Promise<TinyProduct>;
  /** GET /estoque/{idProduto} — physical, reserved and available stock, per deposit. */
  getStock(productId: number, options?: CallOptions): Promise<TinyStock>;
  /** GET /produtos/{idProduto}/kit — a kit's components and how many of each one kit takes. */
  getKit(productId: number, options?: CallOptions): Promise<TinyKitItem[]>;
  /** POST /produtos — with its variations in the same call. A duplicate SKU is a 400 with `detalhes`. */
  createProduct(product: TinyProductCreate, options?: CallOptions): Promise<TinyCreatedProduct>;
  /**
   * PUT /produtos/{idProduto} → 204. Only the fields sent change (no `tipo`, no variations, no stock).
   * The spec's ProdutoModel requires `sku` (Prism flags a body without it), so it is always sent: the product's own.
   */
  updateProduct(productId: number, changes: Partial<TinyProductWrite> & { sku: string; descricao: string }, options?: CallOptions): Promise<void>;
  /** POST /produtos/{idProduto}/variacoes — one more variation of an existing product. */
  addVariation(productId: number, variation: TinyVariationWrite, options?: CallOptions): Promise<{ id: number; codigo: string | null }>;
  /** PUT /produtos/{idProduto}/variacoes/{idVariacao} → 204. */
  updateVariation(productId: number, variationId: number, changes: { precos?: { preco: number }; gtin?: string }, options?: CallOptions): Promise<void>;
  /** Any other endpoint, through the same quota, auth and error handling. */
  request<S extends z.ZodType>(call: TinyCall<S>): Promise<{ status: number; data: z.output<S>; headers: Headers }>;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Longest wait for the company's quota before a retryable 429; the runtime's setting otherwise. */
  maxQuotaWaitMs?: number;
}

export interface TinyClient {
  forAccount(accountId: string): TinyAccountClient;
}

export interface TinyClientDeps extends TinyTransportDeps {
  tokens: TinyTokenManager;
}

function authFor(tokens: TinyTokenManager, accountId: string): TinyAuthProvider {
  return {
    async current() {
      const t = await tokens.getAccessToken(accountId);
      return { accessToken: t.token, quotaKey: t.cnpj };
    },
    async renew(rejected) {
      const t = await tokens.getAccessToken(accountId, { rejectedToken: rejected });
      return { accessToken: t.token, quotaKey: t.cnpj };
    },
  };
}

function productQuery(filters: TinyProductFilters): Record<string, string | number | undefined> {
  return {
    nome: filters.nome,
    codigo: filters.codigo,
    gtin: filters.gtin,
    situacao: filters.situacao,
    dataAlteracao: filters.dataAlteracao,
    limit: filters.limit,
    offset: filters.offset,
  };
}

export function accountClient(deps: TinyTransportDeps, accountId: string, auth: TinyAuthProvider): TinyAccountClient {
  const request = <S extends z.ZodType>(call: TinyCall<S>) => tinyCall(deps, auth, call);
  const callOptions = (options?: CallOptions) => ({
    ...(options?.signal ? { signal: options.signal } : {}),
    ...(options?.maxQuotaWaitMs === undefined ? {} : { maxQuotaWaitMs: options.maxQuotaWaitMs }),
  });
  return {
    accountId,
    request,
    info: async (options) => (await request({ method: "GET", path: "/info", schema: infoModel, ...callOptions(options) })).data,
    listProducts: async (filters = {}, options) => (await request({ method: "GET", path: "/produtos", query: productQuery(filters), schema: productListModel, ...callOptions(options) })).data,
    getProduct: async (productId, options) => (await request({ method: "GET", path: `/produtos/${productId}`, schema: productModel, ...callOptions(options) })).data,
    getStock: async (productId, options) => (await request({ method: "GET", path: `/estoque/${productId}`, schema: stockModel, ...callOptions(options) })).data,
    getKit: async (productId, options) => (await request({ method: "GET", path: `/produtos/${productId}/kit`, schema: kitModel, ...callOptions(options) })).data,
    createProduct: async (product, options) => (await request({ method: "POST", path: "/produtos", body: product, schema: createdProductWithVariationsModel, ...callOptions(options) })).data,
    updateProduct: async (productId, changes, options) => {
      await request({ method: "PUT", path: `/produtos/${productId}`, body: changes, ...callOptions(options) });
    },
    addVariation: async (productId, variation, options) => {
      const created = (await request({ method: "POST", path: `/produtos/${productId}/variacoes`, body: variation, schema: createdProductModel, ...callOptions(options) })).data;
      return { id: created.id, codigo: created.codigo };
    },
    updateVariation: async (productId, variationId, changes, options) => {
      await request({ method: "PUT", path: `/produtos/${productId}/variacoes/${variationId}`, body: changes, ...callOptions(options) });
    },
  };
}

export function createTinyClient(deps: TinyClientDeps): TinyClient {
  return { forAccount: (accountId) => accountClient(deps, accountId, authFor(deps.tokens, accountId)) };
}

/**
 * GET /info with a token that has no account row yet (the connect callback). Unmetered: we
 * cannot know the company — the quota's key — before this answer.
 */
export async function fetchTinyInfo(deps: TinyTransportDeps, accessToken: string): Promise<TinyInfo> {
  const auth: TinyAuthProvider = {
    current: async () => ({ accessToken, quotaKey: undefined }),
    renew: async () => {
      throw new TinyApiError("bad_gateway", "Tiny refused the access token it had just issued (GET /info).", { endpoint: "GET /info", tinyStatus: 401, retryable: false });
    },
  };
  return (await tinyCall(deps, auth, { method: "GET", path: "/info", schema: infoModel })).data;
}

/** "59.573.950/0001-58" → "59573950000158": /info formats it, webhooks do not. */
export function normaliseCnpj(value: string | null | undefined): string | null {
  const digits = (value ?? "").replace(/\D/g, "");
  return digits.length === 14 || digits.length === 11 ? digits : null;
}
