import type { Context, Hono } from "hono";
import { optionalUser, requireUser } from "./auth";
import type { MlContext } from "./context";
import { badRequest, forbidden, mlError, notFound, validationError, type ValidationCause } from "./errors";
import { descriptionOf, renderItem, renderVariation, selectAttributes } from "./render";
import { createScroll, readScroll, ScrollError } from "./scroll";
import type { ItemRec, ItemStatus, VariationRec } from "./types";

// Listing reads and writes. The rules that bite real integrations are enforced: limit ≤ 100,
// offset paging stops at 1,000 (use search_type=scan), multiget ≤ 20, and a PUT of `variations`
// rebuilds the list: variations sent without `id` are recreated with new ids, unlisted ones removed.

export const ITEMS_SEARCH_MAX_LIMIT = 100;
export const ITEMS_SEARCH_MAX_OFFSET = 1000;
export const MULTIGET_MAX_IDS = 20;

const AVAILABLE_ORDERS = [
  "stop_time_asc",
  "stop_time_desc",
  "start_time_asc",
  "start_time_desc",
  "available_quantity_asc",
  "available_quantity_desc",
  "price_asc",
  "price_desc",
  "last_updated_desc",
  "last_updated_asc",
];

const orderName = (id: string) => id.replace(/_/g, " ").replace(/^./, (ch) => ch.toUpperCase());

function filterItems(ctx: MlContext, sellerId: number, q: Record<string, string>): string[] {
  const ids = ctx.state.sellerItems.get(sellerId) ?? [];
  const statuses = q.status ? new Set(q.status.split(",")) : null;
  const { sku, seller_sku: sellerSku, listing_type_id: listingType, logistic_type: logisticType, sub_status: subStatus } = q;
  const items = ctx.state.items;
  // Closed-and-deleted listings disappear from the seller's search, as on ML.
  const anyFilter = statuses || sku || sellerSku || listingType || logisticType || subStatus;
  const out: string[] = [];
  for (const id of ids) {
    const it = items.get(id) as ItemRec;
    if (it.subStatus.includes("deleted")) continue;
    if (anyFilter) {
      if (statuses && !statuses.has(it.status)) continue;
      if (subStatus && !it.subStatus.includes(subStatus)) continue;
      if (listingType && it.listingType !== listingType) continue;
      if (logisticType && it.logisticType !== logisticType) continue;
      if (sku && it.customField !== sku && !(it.variations ?? []).some((v) => v.customField === sku)) continue;
      if (sellerSku && it.sku !== sellerSku && !(it.variations ?? []).some((v) => v.sku === sellerSku)) continue;
    }
    out.push(id);
  }
  return out;
}

function sortItems(ctx: MlContext, ids: string[], order: string): string[] {
  if (order === "stop_time_asc" || order === "start_time_asc") return ids;
  if (order === "stop_time_desc" || order === "start_time_desc") return [...ids].reverse();
  const items = ctx.state.items;
  const key: (it: ItemRec) => number = order.startsWith("price") ? (it) => it.price : order.startsWith("available_quantity") ? (it) => it.qty : (it) => it.updated;
  const dir = order.endsWith("_desc") ? -1 : 1;
  return [...ids].sort((a, b) => dir * (key(items.get(a) as ItemRec) - key(items.get(b) as ItemRec)));
}

function parseIntParam(value: string | undefined, fallback: number): number | null {
  if (value === undefined || value === "") return fallback;
  if (!/^-?\d+$/.test(value)) return null;
  return Number(value);
}

function itemsSearch(ctx: MlContext, c: Context): Response {
  const caller = requireUser(ctx, c);
  if (caller instanceof Response) return caller;
  const sellerId = Number(c.req.param("id"));
  if (!ctx.state.users.has(sellerId)) return notFound(c, "User not found");
  if (caller !== sellerId) return forbidden(c);
  const q = c.req.query();
  const limit = parseIntParam(q.limit, 50);
  if (limit === null || limit < 0) return badRequest(c, "Invalid limit parameter");
  if (limit > ITEMS_SEARCH_MAX_LIMIT) return badRequest(c, `Limit must be a lower or equal than ${ITEMS_SEARCH_MAX_LIMIT}.`);
  const order = q.orders ?? "stop_time_asc";
  if (!AVAILABLE_ORDERS.includes(order)) return badRequest(c, `Invalid order: ${order}`);
  const base = {
    seller_id: String(sellerId),
    query: q.q ?? null,
  };
  const orders = [{ id: order, name: orderName(order) }];
  const availableOrders = AVAILABLE_ORDERS.filter((o) => o !== order).map((id) => ({ id, name: orderName(id) }));

  if (q.search_type === "scan" || q.scroll_id) {
    if (q.offset !== undefined) return badRequest(c, "offset is not allowed with search_type=scan; use scroll_id to page", "bad_request");
    try {
      const page = q.scroll_id ? readScroll(ctx, q.scroll_id, "items", sellerId, limit) : createScroll(ctx, "items", sellerId, sortItems(ctx, filterItems(ctx, sellerId, q), order), limit);
      return c.json({ ...base, scroll_id: page.scrollId, paging: { limit, total: page.total }, results: page.results, orders, available_orders: availableOrders });
    } catch (err) {
      if (err instanceof ScrollError) return badRequest(c, err.message, err.code);
      throw err;
    }
  }

  const offset = parseIntParam(q.offset, 0);
  if (offset === null || offset < 0) return badRequest(c, "Invalid offset parameter");
  if (offset + limit > ITEMS_SEARCH_MAX_OFFSET) {
    return badRequest(c, `Invalid limit and offset values. The maximum offset + limit allowed is ${ITEMS_SEARCH_MAX_OFFSET}; use search_type=scan to retrieve more results.`);
  }
  const ids = sortItems(ctx, filterItems(ctx, sellerId, q), order);
  return c.json({ ...base, paging: { limit, offset, total: ids.length }, results: ids.slice(offset, offset + limit), orders, available_orders: availableOrders });
}

function multiget(ctx: MlContext, c: Context): Response {
  const caller = optionalUser(ctx, c);
  if (caller instanceof Response) return caller;
  const raw = c.req.queries("ids") ?? [];
  const ids = raw
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0) return badRequest(c, "ids parameter is required");
  if (ids.length > MULTIGET_MAX_IDS) return badRequest(c, `Too many ids requested. The maximum allowed is ${MULTIGET_MAX_IDS}.`);
  const attributes = c.req.query("attributes");
  const includeAttributes = c.req.query("include_attributes") === "all";
  return c.json(
    ids.map((id) => {
      const item = ctx.state.items.get(id);
      if (!item || item.subStatus.includes("deleted")) {
        return { code: 404, body: { message: `Item with id ${id} not found`, error: "not_found", status: 404, cause: [] } };
      }
      return { code: 200, body: selectAttributes(renderItem(item, { owner: caller === item.sellerId, includeAttributes }), attributes) };
    }),
  );
}

interface VariationInput {
  id?: number | string;
  price?: number;
  available_quantity?: number;
  attribute_combinations?: Array<{ id: string; name?: string; value_id?: string | null; value_name?: string }>;
  seller_custom_field?: string | null;
  picture_ids?: string[];
  attributes?: Array<{ id: string; value_name?: string | null }>;
}

interface ItemPut {
  title?: string;
  price?: number;
  available_quantity?: number;
  status?: string;
  seller_custom_field?: string | null;
  variations?: VariationInput[];
  attributes?: Array<{ id: string; value_name?: string | null }>;
  deleted?: string | boolean;
  description?: { plain_text?: string };
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function skuFrom(attrs: Array<{ id: string; value_name?: string | null }> | undefined): string | null | undefined {
  const a = attrs?.find((x) => x.id === "SELLER_SKU");
  return a ? (a.value_name ?? null) : undefined;
}

/** Stock 0 pauses a listing (out_of_stock); stock back reactivates it unless the seller paused it. */
function applyStockStatus(item: ItemRec): void {
  if (item.status === "closed") return;
  if (item.qty === 0 && item.status === "active") {
    item.status = "paused";
    item.subStatus = ["out_of_stock"];
  } else if (item.qty > 0 && item.status === "paused" && item.subStatus.includes("out_of_stock") && !item.subStatus.includes("paused_by_seller")) {
    item.status = "active";
    item.subStatus = [];
  }
}

export function recomputeFromVariations(item: ItemRec): void {
  if (!item.variations || item.variations.length === 0) return;
  item.qty = item.variations.reduce((n, v) => n + v.qty, 0);
  // ML shows the highest variation price as the listing price.
  item.price = Math.max(...item.variations.map((v) => v.price));
}

/** Any stock write (sale, cancel, seller) makes a user product's x-version stale, as on ML. */
export function bumpStockVersion(item: ItemRec): void {
  if (item.userProductId) item.stockVersion = (item.stockVersion ?? 1) + 1;
}

export function setItemStock(ctx: MlContext, item: ItemRec, qty: number, variationId?: number): void {
  if (variationId !== undefined && item.variations) {
    const v = item.variations.find((x) => x.id === variationId);
    if (v) v.qty = qty;
    recomputeFromVariations(item);
  } else item.qty = qty;
  bumpStockVersion(item);
  applyStockStatus(item);
  item.updated = ctx.clock.now();
  ctx.state.touchItem(item);
}

function applyVariations(ctx: MlContext, item: ItemRec, input: VariationInput[], causes: ValidationCause[]): VariationRec[] {
  const existing = new Map((item.variations ?? []).map((v) => [v.id, v]));
  const next: VariationRec[] = [];
  for (const [i, v] of input.entries()) {
    const ref = `item.variations[${i}]`;
    if (v.id !== undefined && v.id !== null) {
      const found = existing.get(Number(v.id));
      if (!found) {
        causes.push({ code: "item.variations.id.invalid", message: `Variation ${v.id} does not belong to item ${item.id}`, references: [`${ref}.id`] });
        continue;
      }
      const updated: VariationRec = { ...found, combos: [...found.combos] };
      if (v.price !== undefined) {
        if (!isNum(v.price) || v.price <= 0) causes.push({ code: "item.price.invalid", message: "Price must be a positive number", references: [`${ref}.price`] });
        else updated.price = v.price;
      }
      if (v.available_quantity !== undefined) {
        if (!Number.isInteger(v.available_quantity) || v.available_quantity < 0) {
          causes.push({ code: "item.available_quantity.invalid", message: "available_quantity must be a non-negative integer", references: [`${ref}.available_quantity`] });
        } else updated.qty = v.available_quantity;
      }
      if (v.attribute_combinations) updated.combos = v.attribute_combinations.map((a) => ({ id: a.id, name: a.name ?? a.id, value_id: a.value_id ?? null, value_name: a.value_name ?? "" }));
      if (v.seller_custom_field !== undefined) updated.customField = v.seller_custom_field;
      if (v.picture_ids) updated.pictureIds = v.picture_ids;
      const sku = skuFrom(v.attributes);
      if (sku !== undefined) updated.sku = sku;
      next.push(updated);
      continue;
    }
    // No id: ML deletes any matching variation and creates a fresh one, losing its sales history.
    if (!v.attribute_combinations || v.attribute_combinations.length === 0) {
      causes.push({ code: "item.variations.attribute_combinations.missing", message: "attribute_combinations is required for new variations", references: [`${ref}.attribute_combinations`] });
      continue;
    }
    if (!isNum(v.available_quantity) || v.available_quantity < 0) {
      causes.push({ code: "item.variations.available_quantity.missing", message: "available_quantity is required for new variations", references: [`${ref}.available_quantity`] });
      continue;
    }
    ctx.state.seq.variation += 1;
    next.push({
      id: ctx.state.seq.variation,
      combos: v.attribute_combinations.map((a) => ({ id: a.id, name: a.name ?? a.id, value_id: a.value_id ?? null, value_name: a.value_name ?? "" })),
      price: isNum(v.price) ? v.price : item.price,
      qty: v.available_quantity,
      sold: 0,
      sku: skuFrom(v.attributes) ?? null,
      customField: v.seller_custom_field ?? null,
      pictureIds: v.picture_ids ?? null,
    });
  }
  const keys = next.map((v) =>
    v.combos
      .map((a) => `${a.id}=${a.value_name}`)
      .sort()
      .join("|"),
  );
  if (new Set(keys).size !== keys.length)
    causes.push({ code: "item.variations.attribute_combinations.duplicated", message: "Variations have duplicated attribute combinations", references: ["item.variations"] });
  return next;
}

function putItem(ctx: MlContext, c: Context, body: ItemPut): Response {
  const caller = requireUser(ctx, c);
  if (caller instanceof Response) return caller;
  const item = ctx.state.items.get(c.req.param("id") ?? "");
  if (!item) return notFound(c, `Item with id ${c.req.param("id")} not found`);
  if (item.sellerId !== caller) return forbidden(c);
  const causes: ValidationCause[] = [];
  const draft: ItemRec = { ...item, subStatus: [...item.subStatus], variations: item.variations ? item.variations.map((v) => ({ ...v })) : null };

  // Closed is final on ML: the only thing left to do with a closed listing is delete it.
  if (item.status === "closed" && body.deleted === undefined && body.status !== "closed") {
    return validationError(c, [{ code: "item.status.invalid", message: "Closed items cannot be modified; relist them instead", references: ["item.status"] }]);
  }
  if (body.deleted !== undefined) {
    if (item.status !== "closed") return validationError(c, [{ code: "item.deleted.invalid", message: "Only closed items can be deleted", references: ["item.deleted"] }]);
    draft.subStatus = ["deleted"];
  }
  if (body.title !== undefined && body.title !== item.title) {
    if (item.sold > 0) causes.push({ code: "item.title.not_modifiable", message: "You cannot modify the title if the item has sales", references: ["item.title"] });
    else if (typeof body.title !== "string" || body.title.trim().length === 0 || body.title.length > 60)
      causes.push({ code: "item.title.invalid", message: "Title must have between 1 and 60 characters", references: ["item.title"] });
    else draft.title = body.title;
  }
  if (body.price !== undefined) {
    if (!isNum(body.price) || body.price <= 0) causes.push({ code: "item.price.invalid", message: "Price must be a positive number", references: ["item.price"] });
    else if (draft.variations && draft.variations.length > 0) for (const v of draft.variations) v.price = body.price;
    else draft.price = body.price;
  }
  if (body.available_quantity !== undefined) {
    if (item.logisticType === "fulfillment") {
      causes.push({ code: "item.available_quantity.not_modifiable", message: "available_quantity cannot be modified for fulfillment items", references: ["item.available_quantity"] });
    } else if (item.userProductId) {
      // §13.9: UP stock only moves through /user-products/{id}/stock with x-version.
      causes.push({
        code: "item.available_quantity.not_modifiable",
        message: `available_quantity cannot be modified for user product items; use /user-products/${item.userProductId}/stock`,
        references: ["item.available_quantity"],
      });
    } else if (!Number.isInteger(body.available_quantity) || body.available_quantity < 0) {
      causes.push({ code: "item.available_quantity.invalid", message: "available_quantity must be a non-negative integer", references: ["item.available_quantity"] });
    } else if (draft.variations && draft.variations.length > 0 && !body.variations) {
      causes.push({ code: "item.available_quantity.invalid", message: "Items with variations must update available_quantity per variation", references: ["item.available_quantity"] });
    } else draft.qty = body.available_quantity;
  }
  if (body.variations !== undefined) {
    if (!Array.isArray(body.variations)) causes.push({ code: "item.variations.invalid", message: "variations must be an array", references: ["item.variations"] });
    else if (item.logisticType === "fulfillment" && body.variations.some((v) => v.available_quantity !== undefined)) {
      causes.push({ code: "item.available_quantity.not_modifiable", message: "available_quantity cannot be modified for fulfillment items", references: ["item.variations.available_quantity"] });
    } else draft.variations = applyVariations(ctx, draft, body.variations, causes);
  }
  if (body.seller_custom_field !== undefined) draft.customField = body.seller_custom_field;
  const sku = skuFrom(body.attributes);
  if (sku !== undefined) draft.sku = sku;
  if (body.description?.plain_text !== undefined) draft.description = body.description.plain_text;

  if (causes.length > 0) return validationError(c, causes);

  if (draft.variations && draft.variations.length > 0) recomputeFromVariations(draft);
  if (body.status !== undefined) {
    const target = body.status as ItemStatus;
    if (!["active", "paused", "closed"].includes(target)) return validationError(c, [{ code: "item.status.invalid", message: `Invalid status ${body.status}`, references: ["item.status"] }]);
    if (target === "paused") {
      draft.status = "paused";
      draft.subStatus = ["paused_by_seller"];
    } else if (target === "active") {
      if (draft.qty === 0) return validationError(c, [{ code: "item.status.invalid", message: "Items without stock cannot be activated", references: ["item.status"] }]);
      draft.status = "active";
      draft.subStatus = [];
    } else {
      draft.status = "closed";
      draft.subStatus = body.deleted !== undefined ? ["deleted"] : [];
    }
  } else {
    applyStockStatus(draft);
  }
  draft.updated = Math.max(ctx.clock.now(), item.updated + 1);
  Object.assign(item, draft);
  ctx.state.touchItem(item);
  ctx.notify.emit("items", `/items/${item.id}`, item.sellerId);
  return c.json(renderItem(item, { owner: true }));
}

export function registerItemRoutes(app: Hono, ctx: MlContext): void {
  app.get("/users/:id{[0-9]+}/items/search", (c) => itemsSearch(ctx, c));
  app.get("/items", (c) => multiget(ctx, c));

  app.get("/items/:id", (c) => {
    const caller = optionalUser(ctx, c);
    if (caller instanceof Response) return caller;
    const item = ctx.state.items.get(c.req.param("id"));
    if (!item || item.subStatus.includes("deleted")) return notFound(c, `Item with id ${c.req.param("id")} not found`);
    const body = renderItem(item, { owner: caller === item.sellerId, includeAttributes: c.req.query("include_attributes") === "all" });
    return c.json(selectAttributes(body, c.req.query("attributes")));
  });

  app.put("/items/:id", async (c) => {
    let body: ItemPut;
    try {
      body = (await c.req.json()) as ItemPut;
    } catch {
      return badRequest(c, "Invalid JSON body", "bad_request");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) return badRequest(c, "Body must be a JSON object");
    return putItem(ctx, c, body);
  });

  app.get("/items/:id/variations", (c) => {
    const caller = optionalUser(ctx, c);
    if (caller instanceof Response) return caller;
    const item = ctx.state.items.get(c.req.param("id"));
    if (!item) return notFound(c, `Item with id ${c.req.param("id")} not found`);
    return c.json((item.variations ?? []).map((v) => renderVariation(v, { owner: caller === item.sellerId, includeAttributes: true })));
  });

  app.get("/items/:id/variations/:vid", (c) => {
    const caller = optionalUser(ctx, c);
    if (caller instanceof Response) return caller;
    const item = ctx.state.items.get(c.req.param("id"));
    const v = item?.variations?.find((x) => x.id === Number(c.req.param("vid")));
    if (!item || !v) return notFound(c, `Variation ${c.req.param("vid")} not found`);
    return c.json(renderVariation(v, { owner: caller === item.sellerId, includeAttributes: true }));
  });

  app.get("/items/:id/description", (c) => {
    const item = ctx.state.items.get(c.req.param("id"));
    if (!item) return notFound(c, `Item with id ${c.req.param("id")} not found`);
    return c.json({ text: "", plain_text: descriptionOf(item), last_updated: new Date(item.updated).toISOString(), date_created: new Date(item.created).toISOString(), snapshot: null });
  });

  app.put("/items/:id/description", async (c) => {
    const caller = requireUser(ctx, c);
    if (caller instanceof Response) return caller;
    const item = ctx.state.items.get(c.req.param("id"));
    if (!item) return notFound(c, `Item with id ${c.req.param("id")} not found`);
    if (item.sellerId !== caller) return forbidden(c);
    const body = (await c.req.json().catch(() => null)) as { plain_text?: unknown } | null;
    if (!body || typeof body.plain_text !== "string") return mlError(c, 400, "bad_request", "plain_text is required");
    item.description = body.plain_text;
    item.updated = ctx.clock.now();
    ctx.state.touchItem(item);
    ctx.notify.emit("items", `/items/${item.id}`, item.sellerId);
    return c.json({ text: "", plain_text: item.description, last_updated: new Date(item.updated).toISOString() });
  });
}
