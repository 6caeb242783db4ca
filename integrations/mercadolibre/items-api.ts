import { z } from "zod";
import { MlApiError } from "./errors";
import { mlItemSchema, type MlItem } from "./transform";
import { callParsed, callSignal, mlInt, mlOptional, pagingModel, type MlCallOptions, type MlCaller } from "./wire";

/**
 * Items (mercadolibre-api.md §3): one listing, the multiget, the seller's item ids, the
 * description, the PUT that changes a listing and the User Products stock (§3.5).
 */

const price = mlOptional(
  z.union([
    z.number(),
    z
      .string()
      .regex(/^-?\d+(\.\d+)?$/)
      .transform(Number),
  ]),
);

/**
 * What a listing change reads before it writes (§3.4): prices stay numbers, as ML sent them, so
 * the old value recorded with a change is ML's, not our two-decimal column form.
 */
export const mlEditableItemModel = z.looseObject({
  id: z.string(),
  price,
  available_quantity: mlOptional(z.number().int()),
  status: mlOptional(z.string()),
  user_product_id: mlOptional(z.string()),
  shipping: mlOptional(z.looseObject({ logistic_type: mlOptional(z.string()) })),
  variations: mlOptional(z.array(z.looseObject({ id: mlInt, price, available_quantity: mlOptional(z.number().int()) }))),
});
export type MlEditableItem = z.output<typeof mlEditableItemModel>;

/** §3.3: `[{code, body}]`, a failed entry's body is ML's error object, so bodies are read one by one. */
export const mlMultigetModel = z.preprocess((value) => (Array.isArray(value) ? value : []), z.array(z.looseObject({ code: mlOptional(mlInt), body: z.unknown() })));

/** §3.1: ids only; `results` comes back empty or null when a scan is over. */
export const mlItemsSearchModel = z.looseObject({
  results: mlOptional(z.array(z.string())).transform((value) => value ?? []),
  paging: pagingModel,
  scroll_id: mlOptional(z.string()),
});
export type MlItemsSearch = z.output<typeof mlItemsSearchModel>;

export const mlItemDescriptionModel = z.looseObject({ plain_text: mlOptional(z.string()) });

/** §3.5: the stock per location; the `x-version` header of the answer is what a PUT must send back. */
export const mlUserProductStockModel = z.looseObject({
  locations: mlOptional(z.array(z.looseObject({ type: mlOptional(z.string()), quantity: mlOptional(z.number()) }))),
});

const itemPath = (itemId: string) => `/items/${itemId}`;

/** GET /items/{id}; `allAttributes` adds each variation's `attributes`, where its SKU and GTIN live. */
export async function getItem(ml: MlCaller, itemId: string, options?: MlCallOptions & { allAttributes?: boolean }): Promise<MlItem> {
  const query = options?.allAttributes ? { include_attributes: "all" } : {};
  return (await callParsed(ml, "GET", itemPath(itemId), mlItemSchema, { query, ...callSignal(options) })).data;
}

export async function getEditableItem(ml: MlCaller, itemId: string, options?: MlCallOptions): Promise<MlEditableItem> {
  return (await callParsed(ml, "GET", itemPath(itemId), mlEditableItemModel, { query: { include_attributes: "all" }, ...callSignal(options) })).data;
}

/** PUT /items/{id} with a partial body. ML answers with the whole item, which callers read again with attributes instead. */
export async function updateItem(ml: MlCaller, itemId: string, body: Record<string, unknown>, options?: MlCallOptions): Promise<void> {
  await ml.request("PUT", itemPath(itemId), { body, ...callSignal(options) });
}

/** GET /items?ids= (at most 20) with attributes, one entry per id. */
export async function multigetItems(ml: MlCaller, ids: readonly string[], options?: MlCallOptions) {
  return (await callParsed(ml, "GET", "/items", mlMultigetModel, { query: { ids: ids.join(","), include_attributes: "all" }, ...callSignal(options) })).data;
}

export interface MlItemsSearchQuery {
  limit: number;
  offset?: number | undefined;
  /** `last_updated_desc` for an incremental pass. */
  orders?: string | undefined;
  /** Scan mode (more than 1,000 items): no offset, and the scroll id of the previous page. */
  scan?: { scrollId: string | null } | undefined;
}

/** GET /users/{id}/items/search: the seller's item ids, by offset or by scan (§3.1). */
export async function searchUserItems(ml: MlCaller, mlUserId: number, query: MlItemsSearchQuery, options?: MlCallOptions): Promise<MlItemsSearch> {
  const params = query.scan
    ? { search_type: "scan", limit: query.limit, ...(query.scan.scrollId ? { scroll_id: query.scan.scrollId } : {}) }
    : { limit: query.limit, offset: query.offset ?? 0, ...(query.orders ? { orders: query.orders } : {}) };
  return (await callParsed(ml, "GET", `/users/${mlUserId}/items/search`, mlItemsSearchModel, { query: params, ...callSignal(options) })).data;
}

/** GET /items/{id}/description: its plain text, null when the listing has none (404 included). */
export async function getItemDescription(ml: MlCaller, itemId: string, options?: MlCallOptions): Promise<string | null> {
  try {
    return (await callParsed(ml, "GET", `${itemPath(encodeURIComponent(itemId))}/description`, mlItemDescriptionModel, callSignal(options))).data.plain_text;
  } catch (error) {
    if (error instanceof MlApiError && error.mlStatus === 404) return null;
    throw error;
  }
}

/** GET /user-products/{id}/stock, with the version a write must send back (null when ML sent none). */
export async function getUserProductStock(ml: MlCaller, userProductId: string, options?: MlCallOptions) {
  const response = await callParsed(ml, "GET", `/user-products/${userProductId}/stock`, mlUserProductStockModel, callSignal(options));
  return { locations: response.data.locations ?? [], version: response.headers.get("x-version") };
}

/** PUT /user-products/{id}/stock/type/selling_address; a stale `version` answers 409. */
export async function setUserProductSellingStock(ml: MlCaller, userProductId: string, quantity: number, version: string, options?: MlCallOptions): Promise<void> {
  await ml.request("PUT", `/user-products/${userProductId}/stock/type/selling_address`, { body: { quantity }, headers: { "x-version": version }, ...callSignal(options) });
}
