import type { Context, Hono } from "hono";
import { accountOfRequest, requireUser } from "./auth";
import type { MlContext } from "./context";
import { badRequest, mlError } from "./errors";
import { renderOrder } from "./render";
import type { OrderRec } from "./types";

// Orders as a seller sees them: search hides cancelled orders and anything older than 12 months,
// date filters only count whole hours, limit stops at 51, and a single GET can come back 206
// with X-Content-Missing when ML could not fetch some sub-resources.

export const ORDERS_SEARCH_MAX_LIMIT = 51;
const HOUR = 3600_000;
const RETENTION_MS = 365 * 24 * HOUR;
export const PARTIAL_FIELDS = ["buyer", "feedback", "mediations", "seller", "shipping"] as const;

function parseDate(value: string | undefined): number | null | undefined {
  if (value === undefined || value === "") return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

type Range = { from?: number; to?: number };

function hourRange(q: Record<string, string>, name: string): Range | string {
  const from = parseDate(q[`order.${name}.from`]);
  const to = parseDate(q[`order.${name}.to`]);
  if (from === null) return `Invalid date format in order.${name}.from`;
  if (to === null) return `Invalid date format in order.${name}.to`;
  // Minutes and seconds are ignored: both ends widen to whole hours, so callers get a superset.
  return {
    ...(from !== undefined ? { from: Math.floor(from / HOUR) * HOUR } : {}),
    ...(to !== undefined ? { to: Math.floor(to / HOUR) * HOUR + HOUR - 1 } : {}),
  };
}

const inRange = (value: number | null, r: Range) => (r.from === undefined || (value !== null && value >= r.from)) && (r.to === undefined || (value !== null && value <= r.to));

function searchOrders(ctx: MlContext, c: Context): Response {
  const caller = requireUser(ctx, c);
  if (caller instanceof Response) return caller;
  const q = c.req.query();
  const asSeller = q.seller !== undefined;
  const party = Number(asSeller ? q.seller : q.buyer);
  if (q.seller === undefined && q.buyer === undefined) return badRequest(c, "The seller or buyer parameter is required");
  if (!Number.isInteger(party) || party !== caller) {
    return mlError(c, 403, "caller.id.invalid", `The caller ${caller} is not allowed to search orders of user ${asSeller ? q.seller : q.buyer}`);
  }
  const limit = q.limit === undefined ? 50 : Number(q.limit);
  const offset = q.offset === undefined ? 0 : Number(q.offset);
  if (!Number.isInteger(limit) || limit < 0) return badRequest(c, "Invalid limit parameter");
  if (limit > ORDERS_SEARCH_MAX_LIMIT) return badRequest(c, `The limit parameter must be lower or equal to ${ORDERS_SEARCH_MAX_LIMIT}`);
  if (!Number.isInteger(offset) || offset < 0) return badRequest(c, "Invalid offset parameter");
  const sort = q.sort ?? "date_asc";
  if (sort !== "date_asc" && sort !== "date_desc") return badRequest(c, `Invalid sort: ${sort}`);
  const ranges: Record<string, Range> = {};
  for (const name of ["date_created", "date_closed", "date_last_updated"]) {
    const r = hourRange(q, name);
    if (typeof r === "string") return badRequest(c, r);
    ranges[name] = r;
  }
  const statuses = q["order.status"] ? new Set(q["order.status"].split(",")) : null;
  const tags = q.tags ? q.tags.split(",") : null;
  const tagsNot = q["tags.not"] ? q["tags.not"].split(",") : null;
  const now = ctx.clock.now();
  const text = q.q?.toLowerCase();

  const matches: OrderRec[] = [];
  for (const o of ctx.state.orders.values()) {
    if ((asSeller ? o.sellerId : o.buyerId) !== caller) continue;
    if (o.created < now - RETENTION_MS) continue;
    if (asSeller && o.status === "cancelled") continue;
    if (statuses && !statuses.has(o.status)) continue;
    if (q.item && o.itemId !== q.item) continue;
    if (tags && !tags.every((t) => o.tags.includes(t))) continue;
    if (tagsNot && tagsNot.some((t) => o.tags.includes(t))) continue;
    if (!inRange(o.created, ranges.date_created as Range)) continue;
    if (!inRange(o.closed, ranges.date_closed as Range)) continue;
    if (!inRange(o.updated, ranges.date_last_updated as Range)) continue;
    if (text && !(String(o.id) === text || o.itemId.toLowerCase() === text || o.title.toLowerCase().includes(text))) continue;
    matches.push(o);
  }
  // Sellers are sorted by date_closed (falling back to creation for unpaid orders), buyers by date_created.
  const key = (o: OrderRec) => (asSeller ? (o.closed ?? o.created) : o.created);
  matches.sort((a, b) => (sort === "date_desc" ? key(b) - key(a) : key(a) - key(b)) || a.id - b.id);
  return c.json({
    query: q.q ?? null,
    results: matches.slice(offset, offset + limit).map((o) => renderOrder(o, ctx.state.users)),
    sort: { id: sort, name: sort === "date_asc" ? "Date ascending" : "Date descending" },
    available_sorts: [sort === "date_asc" ? { id: "date_desc", name: "Date descending" } : { id: "date_asc", name: "Date ascending" }],
    filters: [],
    paging: { total: matches.length, offset, limit },
    display: "complete",
  });
}

/** Fields to drop for a 206: fixed per order via control endpoint, or drawn from a fault rule. */
function missingFields(ctx: MlContext, c: Context, orderId: number): string[] {
  const fixed = ctx.state.partialOrders.get(orderId);
  if (fixed) return fixed;
  for (const rule of ctx.faults.rulesFor(accountOfRequest(ctx, c), "GET", c.req.path)) {
    const partial = rule.extra?.partialContent as { rate?: number; fields?: string[] } | undefined;
    if (!partial) continue;
    if (ctx.faults.rng().chance(partial.rate ?? 1)) {
      ctx.faults.consume(rule);
      return partial.fields && partial.fields.length > 0 ? partial.fields : ["buyer", "feedback"];
    }
  }
  return [];
}

export function registerOrderRoutes(app: Hono, ctx: MlContext): void {
  app.get("/orders/search", (c) => searchOrders(ctx, c));

  app.get("/orders/:id", (c) => {
    const caller = requireUser(ctx, c);
    if (caller instanceof Response) return caller;
    const raw = c.req.param("id");
    if (!/^\d+$/.test(raw)) return badRequest(c, `Invalid order id: ${raw}`, "invalid_order_id");
    const o = ctx.state.orders.get(Number(raw));
    if (!o) return mlError(c, 404, "order_not_found", `Order ${raw} not found`);
    if (o.sellerId !== caller && o.buyerId !== caller) return mlError(c, 403, "not_owned_order", "The user has not access to the order");
    const missing = missingFields(ctx, c, o.id);
    const body = renderOrder(o, ctx.state.users, missing);
    if (missing.length > 0) {
      c.header("X-Content-Missing", missing.join(", "));
      return c.json(body, 206);
    }
    return c.json(body);
  });

  app.get("/packs/:id", (c) => {
    const caller = requireUser(ctx, c);
    if (caller instanceof Response) return caller;
    const packId = Number(c.req.param("id"));
    const orders = [...ctx.state.orders.values()].filter((o) => o.packId === packId);
    const first = orders[0];
    if (!first) return mlError(c, 404, "pack_not_found", `Pack ${c.req.param("id")} not found`);
    if (first.sellerId !== caller && first.buyerId !== caller) return mlError(c, 403, "forbidden", "The user has not access to the order");
    return c.json({
      id: packId,
      status: orders.every((o) => o.status === "cancelled") ? "cancelled" : "released",
      status_detail: null,
      buyer: { id: first.buyerId },
      shipment: { id: first.shipmentId },
      orders: orders.map((o) => ({ id: o.id })),
      date_created: new Date(first.created).toISOString(),
      last_updated: new Date(Math.max(...orders.map((o) => o.updated))).toISOString(),
    });
  });
}
