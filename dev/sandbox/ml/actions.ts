import type { MlContext } from "./context";
import { makeItem, buildOrder, FIRST_BUYER_ID, BUYER_COUNT, userProductIdFor } from "./seed";
import { recomputeFromVariations, setItemStock } from "./items";
import type { ClaimRec, ItemRec, OrderRec, OrderStatus, QuestionRec } from "./types";

// State transitions that ML performs on its own (a buyer buys, pays, asks, complains). Control
// endpoints call these; each one emits exactly the notifications ML would for that change.

export class ActionError extends Error {
  constructor(
    public status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

function getOrder(ctx: MlContext, id: number): OrderRec {
  const o = ctx.state.orders.get(id);
  if (!o) throw new ActionError(404, `order ${id} not found`);
  return o;
}

function touchOrder(ctx: MlContext, o: OrderRec): void {
  o.updated = Math.max(ctx.clock.now(), o.updated + 1);
  ctx.state.onChange();
  ctx.notify.emit("orders_v2", `/orders/${o.id}`, o.sellerId);
}

function adjustStock(ctx: MlContext, o: OrderRec, delta: number): void {
  const item = ctx.state.items.get(o.itemId);
  if (!item) return;
  if (o.variationId !== null && item.variations) {
    const v = item.variations.find((x) => x.id === o.variationId);
    if (v) {
      v.qty = Math.max(0, v.qty + delta);
      v.sold = Math.max(0, v.sold - delta);
      setItemStock(ctx, item, v.qty, v.id);
    }
    recomputeFromVariations(item);
  } else {
    setItemStock(ctx, item, Math.max(0, item.qty + delta));
  }
  item.sold = Math.max(0, item.sold - delta);
  ctx.notify.emit("items", `/items/${item.id}`, item.sellerId);
}

export interface CreateOrderInput {
  sellerId: number;
  itemId?: string;
  variationId?: number;
  quantity?: number;
  buyerId?: number;
  status?: OrderStatus;
}

export function createOrder(ctx: MlContext, input: CreateOrderInput): OrderRec {
  const state = ctx.state;
  const ids = state.sellerItems.get(input.sellerId);
  if (!ids || ids.length === 0) throw new ActionError(404, `seller ${input.sellerId} has no listings`);
  let item: ItemRec | undefined;
  if (input.itemId) {
    item = state.items.get(input.itemId);
    if (!item || item.sellerId !== input.sellerId) throw new ActionError(404, `item ${input.itemId} not found for seller ${input.sellerId}`);
  } else {
    // Random probes first so a 100k-listing seller does not materialise every listing.
    const sellable = (it: ItemRec | undefined) => it !== undefined && it.status === "active" && it.qty > 0;
    for (let i = 0; i < 64 && !item; i++) {
      const probe = state.items.get(state.rng.pick(ids));
      if (sellable(probe)) item = probe;
    }
    if (!item) {
      const active = ids.map((id) => state.items.get(id)).filter(sellable) as ItemRec[];
      if (active.length === 0) throw new ActionError(409, "seller has no active listing with stock");
      item = state.rng.pick(active);
    }
  }
  let variationId: number | null = null;
  if (item.variations && item.variations.length > 0) {
    const v =
      input.variationId !== undefined
        ? item.variations.find((x) => x.id === input.variationId)
        : state.rng.pick(item.variations.filter((x) => x.qty > 0).length > 0 ? item.variations.filter((x) => x.qty > 0) : item.variations);
    if (!v) throw new ActionError(404, `variation ${input.variationId} not found on ${item.id}`);
    variationId = v.id;
  }
  const quantity = input.quantity ?? 1;
  const status = input.status ?? "paid";
  if (status === "paid") {
    const available = variationId !== null ? (item.variations?.find((v) => v.id === variationId)?.qty ?? 0) : item.qty;
    if (available < quantity) throw new ActionError(409, `not enough stock on ${item.id} (available ${available})`);
  }
  const buyerId = input.buyerId ?? FIRST_BUYER_ID + state.rng.int(0, BUYER_COUNT - 1);
  // Built as unpaid first so paying goes through the same path (stock, date_closed, notifications).
  const { order, shipment } = buildOrder(
    state,
    { sellerId: input.sellerId, buyerId, item, variationId, quantity, status: status === "paid" ? "payment_required" : status, created: ctx.clock.now() },
    state.rng,
  );
  state.orders.set(order.id, order);
  state.shipments.set(shipment.id, shipment);
  state.onChange();
  ctx.notify.emit("orders_v2", `/orders/${order.id}`, order.sellerId);
  if (status === "paid") payOrder(ctx, order.id);
  return order;
}

export function payOrder(ctx: MlContext, id: number): OrderRec {
  const o = getOrder(ctx, id);
  if (o.status === "paid") return o;
  if (o.status === "cancelled") throw new ActionError(409, "cancelled orders cannot be paid");
  const now = ctx.clock.now();
  const amount = Math.round(o.unitPrice * o.quantity * 100) / 100;
  const pending = o.payments.find((p) => p.status === "pending");
  if (pending) {
    pending.status = "approved";
    pending.statusDetail = "accredited";
    pending.approved = now;
  } else {
    ctx.state.seq.payment += 1;
    o.payments.push({ id: 91_000_000_000 + ctx.state.seq.payment, status: "approved", statusDetail: "accredited", amount, method: "pix", created: now, approved: now });
  }
  o.status = "paid";
  o.closed ??= now;
  o.tags = ["paid", "not_delivered"];
  const shipment = o.shipmentId === null ? undefined : ctx.state.shipments.get(o.shipmentId);
  if (shipment && shipment.status === "pending") {
    shipment.status = "ready_to_ship";
    shipment.substatus = "ready_to_print";
    shipment.updated = now;
  }
  if (!o.stockTaken) {
    o.stockTaken = true;
    adjustStock(ctx, o, -o.quantity);
  }
  touchOrder(ctx, o);
  if (shipment) ctx.notify.emit("shipments", `/shipments/${shipment.id}`, o.sellerId);
  return o;
}

export function cancelOrder(ctx: MlContext, id: number, reason?: { group?: string; code?: string; description?: string; requested_by?: string }): OrderRec {
  const o = getOrder(ctx, id);
  if (o.status === "cancelled") return o;
  const now = ctx.clock.now();
  o.status = "cancelled";
  o.cancelDetail = {
    group: reason?.group ?? "buyer",
    code: reason?.code ?? "buyer_cancel_express",
    description: reason?.description ?? "Cancelled from the sandbox",
    requested_by: reason?.requested_by ?? "buyer",
    date: now,
  };
  o.tags = o.tags.filter((t) => t !== "paid");
  for (const p of o.payments) {
    if (p.status === "approved") {
      p.status = "refunded";
      p.statusDetail = "refunded";
    } else if (p.status === "pending") {
      p.status = "cancelled";
      p.statusDetail = "by_collector";
    }
  }
  const shipment = o.shipmentId === null ? undefined : ctx.state.shipments.get(o.shipmentId);
  if (shipment && shipment.status !== "delivered") {
    shipment.status = "cancelled";
    shipment.substatus = null;
    shipment.updated = now;
  }
  if (o.stockTaken) {
    o.stockTaken = false;
    adjustStock(ctx, o, o.quantity);
  }
  touchOrder(ctx, o);
  if (shipment) ctx.notify.emit("shipments", `/shipments/${shipment.id}`, o.sellerId);
  return o;
}

export function shipOrder(ctx: MlContext, id: number, to: "shipped" | "delivered" | "ready_to_ship" | "not_delivered"): OrderRec {
  const o = getOrder(ctx, id);
  if (o.status !== "paid") throw new ActionError(409, `order ${id} is ${o.status}; only paid orders ship`);
  const shipment = o.shipmentId === null ? undefined : ctx.state.shipments.get(o.shipmentId);
  if (!shipment) throw new ActionError(409, `order ${id} has no shipment`);
  const now = ctx.clock.now();
  shipment.status = to;
  shipment.substatus = to === "ready_to_ship" ? "ready_to_print" : null;
  if (to !== "ready_to_ship") shipment.trackingNumber ??= `BR${ctx.state.rng.digits(9)}BR`;
  shipment.updated = now;
  if (to === "delivered") o.tags = ["paid", "delivered"];
  ctx.notify.emit("shipments", `/shipments/${shipment.id}`, o.sellerId);
  touchOrder(ctx, o);
  return o;
}

export function changeItem(ctx: MlContext, itemId: string, patch: { available_quantity?: number; price?: number; variation_id?: number; status?: "active" | "paused" | "closed" }): ItemRec {
  const item = ctx.state.items.get(itemId);
  if (!item) throw new ActionError(404, `item ${itemId} not found`);
  const variation = patch.variation_id !== undefined ? item.variations?.find((v) => v.id === patch.variation_id) : undefined;
  if (patch.variation_id !== undefined && !variation) throw new ActionError(404, `variation ${patch.variation_id} not found on ${itemId}`);
  if (patch.price !== undefined) {
    if (variation) variation.price = patch.price;
    else if (item.variations) for (const v of item.variations) v.price = patch.price;
    else item.price = patch.price;
    recomputeFromVariations(item);
  }
  if (patch.available_quantity !== undefined) setItemStock(ctx, item, patch.available_quantity, variation?.id);
  if (patch.status !== undefined) {
    item.status = patch.status;
    item.subStatus = patch.status === "paused" ? ["paused_by_seller"] : [];
  }
  item.updated = Math.max(ctx.clock.now(), item.updated + 1);
  ctx.state.touchItem(item);
  ctx.notify.emit("items", `/items/${item.id}`, item.sellerId);
  return item;
}

export function createListing(ctx: MlContext, sellerId: number, overrides: { title?: string; price?: number; available_quantity?: number; sku?: string; user_product?: boolean }): ItemRec {
  const slot = ctx.state.slots.find((s) => s.sellerId === sellerId);
  if (!slot) throw new ActionError(404, `seller ${sellerId} not found`);
  // Continuing the seller's id range past the seeded count keeps new ids unique and stable.
  const index = ctx.state.sellerItems.get(sellerId)?.length ?? 0;
  const item = makeItem(ctx.state.params.seed, slot, index, ctx.clock.now());
  item.status = "active";
  item.subStatus = [];
  item.created = ctx.clock.now();
  item.updated = item.created;
  item.sold = 0;
  if (overrides.title) item.title = overrides.title;
  if (overrides.sku) {
    item.sku = overrides.sku;
    item.customField = overrides.sku;
    item.variations = null;
  }
  // Only on request: the seeded UP share would otherwise make new listings randomly UP.
  item.userProductId = null;
  if (overrides.user_product) {
    item.variations = null;
    item.logisticType = "cross_docking";
    item.userProductId = userProductIdFor(item.id);
  }
  if (overrides.price !== undefined) {
    item.price = overrides.price;
    for (const v of item.variations ?? []) v.price = overrides.price;
  }
  if (overrides.available_quantity !== undefined) {
    if (item.variations) for (const [i, v] of item.variations.entries()) v.qty = i === 0 ? overrides.available_quantity : 0;
    item.qty = overrides.available_quantity;
  } else if (item.qty === 0) item.qty = 10;
  recomputeFromVariations(item);
  item.initialQty = item.qty;
  ctx.state.addItem(item, true);
  ctx.notify.emit("items", `/items/${item.id}`, sellerId);
  return item;
}

export function askQuestion(ctx: MlContext, itemId: string, text: string, buyerId?: number): QuestionRec {
  const item = ctx.state.items.get(itemId);
  if (!item) throw new ActionError(404, `item ${itemId} not found`);
  const now = ctx.clock.now();
  ctx.state.seq.question += ctx.state.rng.int(1, 50);
  const q: QuestionRec = {
    id: ctx.state.seq.question,
    itemId,
    sellerId: item.sellerId,
    buyerId: buyerId ?? FIRST_BUYER_ID + ctx.state.rng.int(0, BUYER_COUNT - 1),
    text,
    status: "UNANSWERED",
    answer: null,
    created: now,
    updated: now,
  };
  ctx.state.questions.set(q.id, q);
  ctx.state.onChange();
  ctx.notify.emit("questions", `/questions/${q.id}`, item.sellerId);
  return q;
}

export function openClaim(ctx: MlContext, orderId: number, input: { reason_id?: string; type?: string }): ClaimRec {
  const o = getOrder(ctx, orderId);
  const now = ctx.clock.now();
  ctx.state.seq.claim += ctx.state.rng.int(1, 99);
  const claim: ClaimRec = {
    id: ctx.state.seq.claim,
    orderId: o.id,
    sellerId: o.sellerId,
    buyerId: o.buyerId,
    status: "opened",
    type: input.type ?? "mediations",
    stage: "claim",
    reasonId: input.reason_id ?? "PDD9549",
    resolution: null,
    created: now,
    updated: now,
  };
  ctx.state.claims.set(claim.id, claim);
  ctx.state.onChange();
  // The claim resource carries the /post-purchase prefix, and ML often sends it without the leading slash.
  ctx.notify.emit("post_purchase", `/post-purchase/v1/claims/${claim.id}`, o.sellerId);
  return claim;
}

export function closeClaim(ctx: MlContext, claimId: number, reason = "payment_refunded"): ClaimRec {
  const claim = ctx.state.claims.get(claimId);
  if (!claim) throw new ActionError(404, `claim ${claimId} not found`);
  const now = ctx.clock.now();
  claim.status = "closed";
  claim.resolution = { reason, date: now, benefited: ["complainant"], closed_by: "mediator" };
  claim.updated = now;
  ctx.state.onChange();
  ctx.notify.emit("post_purchase", `/post-purchase/v1/claims/${claim.id}`, claim.sellerId);
  return claim;
}
