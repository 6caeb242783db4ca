import type { Context, Hono } from "hono";
import { requireUser } from "./auth";
import type { MlContext } from "./context";
import { badRequest, forbidden, mlError, notFound } from "./errors";
import { setItemStock } from "./items";
import { itemIdOfUserProduct } from "./seed";
import type { ItemRec } from "./types";

// User Products stock (mercadolibre-api.md §3.5). What integrations get wrong is the optimistic
// lock: a write must carry the x-version the last GET returned; any stock change in between
// (a sale, another writer) makes it stale and ML answers 409 until the client reads again.
// The sandbox keeps one item per user product, so the item's available_quantity *is* the
// selling_address quantity and stays consistent with it by construction.

export const stockVersionOf = (item: ItemRec): number => item.stockVersion ?? 1;

function findUserProduct(ctx: MlContext, c: Context): ItemRec | Response {
  const caller = requireUser(ctx, c);
  if (caller instanceof Response) return caller;
  const upId = c.req.param("id") ?? "";
  const itemId = itemIdOfUserProduct(upId);
  const item = itemId ? ctx.state.items.get(itemId) : undefined;
  if (!item || item.userProductId !== upId || item.subStatus.includes("deleted")) return notFound(c, `User product ${upId} not found`);
  if (item.sellerId !== caller) return forbidden(c);
  return item;
}

function renderStock(item: ItemRec, upId: string) {
  return { locations: [{ type: "selling_address", quantity: item.qty }], user_id: item.sellerId, id: upId };
}

export function registerUserProductRoutes(app: Hono, ctx: MlContext): void {
  app.get("/user-products/:id/stock", (c) => {
    const item = findUserProduct(ctx, c);
    if (item instanceof Response) return item;
    c.header("x-version", String(stockVersionOf(item)));
    return c.json(renderStock(item, c.req.param("id")));
  });

  app.put("/user-products/:id/stock/type/selling_address", async (c) => {
    const item = findUserProduct(ctx, c);
    if (item instanceof Response) return item;
    const version = c.req.header("x-version");
    if (!version) return badRequest(c, "The x-version header is required to update the stock");
    const body = (await c.req.json().catch(() => null)) as { quantity?: unknown } | null;
    if (!body || typeof body !== "object") return badRequest(c, "Invalid JSON body");
    const quantity = body.quantity;
    if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 0) return badRequest(c, "quantity must be a non-negative integer");
    if (version !== String(stockVersionOf(item))) {
      return mlError(c, 409, "conflict", `The stock of user product ${item.userProductId} was modified (x-version ${version} is outdated); read it again and retry`);
    }
    const before = item.updated;
    setItemStock(ctx, item, quantity);
    // last_updated must move forward even on a frozen clock: sync keeps the newer state by it.
    item.updated = Math.max(item.updated, before + 1);
    ctx.notify.emit("items", `/items/${item.id}`, item.sellerId);
    return c.body(null, 204);
  });
}
