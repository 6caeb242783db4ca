import type { Context, Hono } from "hono";
import { z } from "zod";
import { readJson } from "../common";
import { ActionError, askQuestion, cancelOrder, changeItem, closeClaim, createListing, createOrder, openClaim, payOrder, shipOrder } from "./actions";
import type { MlContext } from "./context";
import { issueTokens, revokeUser } from "./oauth";
import { PARTIAL_FIELDS } from "./orders";
import { renderClaim, renderItem, renderOrder, renderQuestion } from "./render";
import { DEMO_SELLER_ID, SECOND_SELLER_ID, type SeedParams } from "./state";

// Sandbox-only endpoints under /_sandbox: they play the part of buyers, ML itself and the
// developer (test setup). Each mutation goes through actions.ts so it emits what ML would emit.

export interface MlControlHooks {
  reset(): void;
  reseed(patch: Partial<SeedParams>): void;
}

const id = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
const orderStatus = z.enum(["confirmed", "payment_required", "payment_in_process", "paid", "cancelled"]);

const schemas = {
  seed: z.object({
    seed: z.number().int().optional(),
    listings: z.number().int().min(0).max(100_000).optional(),
    orders: z.number().int().min(0).max(100_000).optional(),
    questions: z.number().int().min(0).max(100_000).optional(),
    claims: z.number().int().min(0).max(10_000).optional(),
    secondSellerListings: z.number().int().min(0).max(100_000).optional(),
  }),
  userRef: z.object({ user_id: id.optional() }),
  expire: z.object({ user_id: id.optional(), access_token: z.string().optional() }),
  callback: z.object({
    url: z.string().url().nullable().optional(),
    topics: z.array(z.string()).nullable().optional(),
    variants: z.object({ idKeyAsId: z.number().min(0).max(1).optional(), userIdAsString: z.number().min(0).max(1).optional(), resourceWithoutSlash: z.number().min(0).max(1).optional() }).optional(),
  }),
  order: z.object({
    seller_id: id.optional(),
    item_id: z.string().optional(),
    variation_id: id.optional(),
    quantity: z.number().int().min(1).max(1000).optional(),
    buyer_id: id.optional(),
    status: orderStatus.optional(),
  }),
  cancel: z.object({ group: z.string().optional(), code: z.string().optional(), description: z.string().optional(), requested_by: z.string().optional() }),
  partial: z.object({ fields: z.array(z.enum(PARTIAL_FIELDS)).min(1).optional() }),
  item: z.object({
    seller_id: id.optional(),
    title: z.string().max(60).optional(),
    price: z.number().positive().optional(),
    available_quantity: z.number().int().min(0).optional(),
    sku: z.string().optional(),
    user_product: z.boolean().optional(),
  }),
  itemPatch: z.object({
    available_quantity: z.number().int().min(0).optional(),
    price: z.number().positive().optional(),
    variation_id: id.optional(),
    status: z.enum(["active", "paused", "closed"]).optional(),
  }),
  stock: z.object({ available_quantity: z.number().int().min(0), variation_id: id.optional() }),
  price: z.object({ price: z.number().positive(), variation_id: id.optional() }),
  question: z.object({ item_id: z.string(), text: z.string().min(1).max(2000), buyer_id: id.optional() }),
  claim: z.object({ order_id: id, reason_id: z.string().optional(), type: z.string().optional() }),
  rateLimit: z.object({ perSecond: z.number().positive().max(1_000_000).nullable().optional(), retryAfter: z.boolean().optional() }),
};

function run(c: Context, fn: () => unknown, status: 200 | 201 = 200): Response {
  try {
    return c.json(fn() as object, status);
  } catch (err) {
    if (err instanceof ActionError) return c.json({ error: "sandbox_action_failed", message: err.message }, err.status);
    throw err;
  }
}

const ENDPOINTS = [
  "GET    /_sandbox                      this list",
  "GET    /_sandbox/state                counts, sellers, app config",
  "POST   /_sandbox/reset                back to the start-up seed; clears faults, counters, clock, webhook log",
  "POST   /_sandbox/seed                 {seed?,listings?,orders?,questions?,claims?,secondSellerListings?} rebuild",
  "GET    /_sandbox/users                sandbox users (sellers, operator, buyers)",
  "POST   /_sandbox/tokens               {user_id?} mint a token pair without the OAuth dance",
  "POST   /_sandbox/tokens/expire        {user_id?|access_token?} expire access tokens now",
  "POST   /_sandbox/tokens/revoke        {user_id} kill all tokens of a user (password change)",
  "GET    /_sandbox/callback             callback URL, topics, payload variant probabilities",
  "PUT    /_sandbox/callback             {url?,topics?,variants?}",
  "GET    /_sandbox/notifications        every notification emitted (delivered or not)",
  "DELETE /_sandbox/missed_feeds         empty /missed_feeds",
  "POST   /_sandbox/orders               {seller_id?,item_id?,variation_id?,quantity?,buyer_id?,status?}",
  "POST   /_sandbox/orders/:id/pay",
  "POST   /_sandbox/orders/:id/cancel    {group?,code?,description?,requested_by?}",
  "POST   /_sandbox/orders/:id/ready_to_ship | /ship | /deliver | /not_delivered",
  "PUT    /_sandbox/orders/:id/partial   {fields?} GET /orders/:id answers 206; DELETE to undo",
  "POST   /_sandbox/items                {seller_id?,title?,price?,available_quantity?,sku?,user_product?} new listing (user_product: on the UP model)",
  "PATCH  /_sandbox/items/:id            {available_quantity?,price?,variation_id?,status?}",
  "POST   /_sandbox/items/:id/stock      {available_quantity,variation_id?}",
  "POST   /_sandbox/items/:id/price      {price,variation_id?}",
  "POST   /_sandbox/questions            {item_id,text,buyer_id?}",
  "POST   /_sandbox/claims               {order_id,reason_id?,type?}",
  "POST   /_sandbox/claims/:id/close",
  "GET    /_sandbox/rate-limit           the per-application limit: {perSecond (null = off), retryAfter}",
  "PUT    /_sandbox/rate-limit           {perSecond?,retryAfter?}",
  "GET|PUT|POST|DELETE /_sandbox/faults, GET|DELETE /_sandbox/counters, GET|PATCH /_sandbox/webhooks, GET|DELETE /_sandbox/webhooks/attempts, POST /_sandbox/webhooks/idle, GET /_sandbox/clock, POST /_sandbox/clock/advance",
];

export function registerMlControl(app: Hono, ctx: MlContext, hooks: MlControlHooks): void {
  const P = "/_sandbox";
  const owner = { owner: true } as const;

  app.get(P, (c) => c.json({ sandbox: "mercadolibre", endpoints: ENDPOINTS }));

  app.get(`${P}/state`, (c) => {
    const s = ctx.state;
    return c.json({
      params: s.params,
      app: { app_id: ctx.config.appId, access_token_ttl_seconds: ctx.config.accessTokenTtlSeconds, require_pkce: ctx.config.requirePkce },
      sellers: [DEMO_SELLER_ID, SECOND_SELLER_ID].map((sid) => ({ id: sid, nickname: s.users.get(sid)?.nickname, listings: s.sellerItems.get(sid)?.length ?? 0 })),
      counts: {
        users: s.users.size,
        items: s.items.size,
        orders: s.orders.size,
        shipments: s.shipments.size,
        questions: s.questions.size,
        claims: s.claims.size,
        missed_feeds: s.missedFeeds.length,
        notifications: s.notifications.length,
      },
      callback: s.callback,
      now: new Date(ctx.clock.now()).toISOString(),
    });
  });

  app.get(`${P}/rate-limit`, (c) => c.json(ctx.rateLimit.settings()));
  app.put(`${P}/rate-limit`, async (c) => {
    const body = await readJson(c, schemas.rateLimit);
    if (!body.ok) return body.res;
    const { perSecond, retryAfter } = body.data;
    return c.json(ctx.rateLimit.set({ ...(perSecond !== undefined ? { perSecond } : {}), ...(retryAfter !== undefined ? { retryAfter } : {}) }));
  });

  app.post(`${P}/reset`, (c) => {
    hooks.reset();
    return c.json({ reset: true, params: ctx.state.params });
  });

  app.post(`${P}/seed`, async (c) => {
    const body = await readJson(c, schemas.seed);
    if (!body.ok) return body.res;
    hooks.reseed(body.data);
    return c.json({ seeded: true, params: ctx.state.params });
  });

  app.get(`${P}/users`, (c) => c.json([...ctx.state.users.values()].map((u) => ({ id: u.id, nickname: u.nickname, kind: u.kind, email: u.email }))));

  app.post(`${P}/tokens`, async (c) => {
    const body = await readJson(c, schemas.userRef);
    if (!body.ok) return body.res;
    const userId = body.data.user_id ?? DEMO_SELLER_ID;
    const user = ctx.state.users.get(userId);
    if (!user) return c.json({ error: "not_found", message: `user ${userId} not found` }, 404);
    return c.json(issueTokens(ctx, userId, ctx.config.appId, ctx.state.rng.uuid()), 201);
  });

  app.post(`${P}/tokens/expire`, async (c) => {
    const body = await readJson(c, schemas.expire);
    if (!body.ok) return body.res;
    const now = ctx.clock.now();
    let expired = 0;
    for (const t of ctx.state.accessTokens.values()) {
      if (
        (body.data.access_token && t.token === body.data.access_token) ||
        (body.data.user_id !== undefined && t.userId === body.data.user_id) ||
        (!body.data.access_token && body.data.user_id === undefined)
      ) {
        t.expires = Math.min(t.expires, now);
        expired++;
      }
    }
    ctx.state.onChange();
    return c.json({ expired });
  });

  app.post(`${P}/tokens/revoke`, async (c) => {
    const body = await readJson(c, schemas.userRef);
    if (!body.ok) return body.res;
    return c.json({ revoked: revokeUser(ctx, body.data.user_id ?? DEMO_SELLER_ID) });
  });

  app.get(`${P}/callback`, (c) => c.json({ ...ctx.state.callback, variants: ctx.state.variants }));
  app.put(`${P}/callback`, async (c) => {
    const body = await readJson(c, schemas.callback);
    if (!body.ok) return body.res;
    const s = ctx.state;
    if (body.data.url !== undefined) s.callback.url = body.data.url;
    if (body.data.topics !== undefined) s.callback.topics = body.data.topics;
    if (body.data.variants) s.variants = { ...s.variants, ...body.data.variants };
    s.onChange();
    return c.json({ ...s.callback, variants: s.variants });
  });

  app.get(`${P}/notifications`, (c) => {
    const deliveries = new Map(ctx.webhooks.deliveries().map((d) => [d.id, d]));
    return c.json(
      ctx.state.notifications.map((n) => {
        const d = n.deliveryId ? deliveries.get(n.deliveryId) : undefined;
        return { ...n, received: new Date(n.received).toISOString(), delivery: d ? { status: d.status, attempts: d.attempts } : null };
      }),
    );
  });

  app.delete(`${P}/missed_feeds`, (c) => {
    ctx.state.missedFeeds = [];
    ctx.state.onChange();
    return c.json({ cleared: true });
  });

  app.post(`${P}/orders`, async (c) => {
    const body = await readJson(c, schemas.order);
    if (!body.ok) return body.res;
    const d = body.data;
    return run(
      c,
      () =>
        renderOrder(
          createOrder(ctx, { sellerId: d.seller_id ?? DEMO_SELLER_ID, itemId: d.item_id, variationId: d.variation_id, quantity: d.quantity, buyerId: d.buyer_id, status: d.status }),
          ctx.state.users,
        ),
      201,
    );
  });

  const orderId = (c: Context) => Number(c.req.param("id"));
  app.post(`${P}/orders/:id/pay`, (c) => run(c, () => renderOrder(payOrder(ctx, orderId(c)), ctx.state.users)));
  app.post(`${P}/orders/:id/cancel`, async (c) => {
    const body = await readJson(c, schemas.cancel);
    if (!body.ok) return body.res;
    return run(c, () => renderOrder(cancelOrder(ctx, orderId(c), body.data), ctx.state.users));
  });
  for (const to of ["ready_to_ship", "ship", "deliver", "not_delivered"] as const) {
    const status = to === "ship" ? "shipped" : to === "deliver" ? "delivered" : to;
    app.post(`${P}/orders/:id/${to}`, (c) => run(c, () => renderOrder(shipOrder(ctx, orderId(c), status), ctx.state.users)));
  }
  app.put(`${P}/orders/:id/partial`, async (c) => {
    const body = await readJson(c, schemas.partial);
    if (!body.ok) return body.res;
    if (!ctx.state.orders.has(orderId(c))) return c.json({ error: "not_found", message: "order not found" }, 404);
    const fields = body.data.fields ?? ["buyer", "feedback"];
    ctx.state.partialOrders.set(orderId(c), fields);
    return c.json({ order_id: orderId(c), missing: fields });
  });
  app.delete(`${P}/orders/:id/partial`, (c) => {
    ctx.state.partialOrders.delete(orderId(c));
    return c.json({ order_id: orderId(c), missing: [] });
  });

  app.post(`${P}/items`, async (c) => {
    const body = await readJson(c, schemas.item);
    if (!body.ok) return body.res;
    const { seller_id: sellerId, ...rest } = body.data;
    return run(c, () => renderItem(createListing(ctx, sellerId ?? DEMO_SELLER_ID, rest), owner), 201);
  });
  app.patch(`${P}/items/:id`, async (c) => {
    const body = await readJson(c, schemas.itemPatch);
    if (!body.ok) return body.res;
    return run(c, () => renderItem(changeItem(ctx, c.req.param("id"), body.data), owner));
  });
  app.post(`${P}/items/:id/stock`, async (c) => {
    const body = await readJson(c, schemas.stock);
    if (!body.ok) return body.res;
    return run(c, () => renderItem(changeItem(ctx, c.req.param("id"), body.data), owner));
  });
  app.post(`${P}/items/:id/price`, async (c) => {
    const body = await readJson(c, schemas.price);
    if (!body.ok) return body.res;
    return run(c, () => renderItem(changeItem(ctx, c.req.param("id"), body.data), owner));
  });

  app.post(`${P}/questions`, async (c) => {
    const body = await readJson(c, schemas.question);
    if (!body.ok) return body.res;
    return run(c, () => renderQuestion(askQuestion(ctx, body.data.item_id, body.data.text, body.data.buyer_id), false), 201);
  });

  app.post(`${P}/claims`, async (c) => {
    const body = await readJson(c, schemas.claim);
    if (!body.ok) return body.res;
    return run(c, () => renderClaim(openClaim(ctx, body.data.order_id, body.data)), 201);
  });
  app.post(`${P}/claims/:id/close`, (c) => run(c, () => renderClaim(closeClaim(ctx, Number(c.req.param("id"))))));
}
