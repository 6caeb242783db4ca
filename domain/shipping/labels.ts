import { AppError } from "#core/errors";
import { upsertShipment } from "#db/queries/ml-data";
import { findShipment } from "#db/queries/ml-read";
import { findUserMlOrder, type TinyOrderPush } from "#db/queries/tiny-orders";
import type { MlOrder, MlShipment } from "#db/schema";
import { MlApiError } from "#integrations/mercadolibre/errors";
import { getShipment, getShipmentLabel } from "#integrations/mercadolibre/shipments-api";
import { shipmentRow } from "#integrations/mercadolibre/transform";
import { TinyApiError } from "#integrations/tiny/errors";
import { tinyShippingApi, type TinyShippingApi } from "#integrations/tiny/shipping-api";
import type { ActingContext } from "../context";

/**
 * Shipping labels of a pushed order, from whichever side ships it. Mercado Envios (ME2)
 * shipments print ML's label, passed through byte for byte; everything else (ME1, agreed with
 * the seller, no shipment) ships through a Tiny shipping group (expedição), whose labels Tiny
 * serves as links. Every "not yet" is a 409 saying what is missing, never an empty success.
 */

export type ShippingLabel =
  | { source: "mercado_envios"; bytes: Uint8Array; contentType: string; filename: string }
  | {
      source: "tiny";
      push: TinyOrderPush;
      tinyOrderId: number;
      group: { id: number; name: string | null; date: string | null };
      shipmentId: number;
      urls: string[];
    };

/** Where a Tiny order's shipment was found: the group and the shipment (expedição) in it. */
export interface CachedGroup {
  groupId: number;
  shipmentId: number;
  name: string | null;
  date: string | null;
}

/** Remembers which Tiny shipping group holds an order, shared by every instance (the Worker's Redis). */
export interface ShippingGroupCache {
  get(tinyAccountId: string, tinyOrderId: number): Promise<CachedGroup | null>;
  set(tinyAccountId: string, tinyOrderId: number, group: CachedGroup, ttlSeconds: number): Promise<void>;
  forget(tinyAccountId: string, tinyOrderId: number): Promise<void>;
}

type LabelContext = Pick<ActingContext, "db" | "log" | "now" | "ml" | "tiny" | "actor">;

const conflict = (message: string) => new AppError("conflict", message, { retryable: false });

/** ML's own rule (mercadolibre-api.md §8): labels exist only for these ME2 types. */
const SELLER_PRINTED_TYPES = new Set(["drop_off", "xd_drop_off", "cross_docking", "self_service"]);
const SHIPPABLE_ORDER_STATUSES = new Set(["paid", "partially_refunded"]);

/** The label of the seller's order push (already known to be theirs). */
export async function chooseShippingLabel({ ctx, input }: { ctx: LabelContext; input: { push: TinyOrderPush; format: "pdf" | "zpl"; groupCache: ShippingGroupCache } }): Promise<ShippingLabel> {
  const { push, format } = input;
  const found = await findUserMlOrder(ctx.db, ctx.actor.userId, push.mlOrderId);
  if (!found) throw conflict(`The Mercado Livre order ${push.mlOrderId} is no longer stored (its ML account was removed); no label can be chosen for it.`);
  const order = found.order;
  if (order.status === "cancelled") throw conflict(`The Mercado Livre order ${order.mlOrderId} is cancelled; it ships nothing.`);
  if (!SHIPPABLE_ORDER_STATUSES.has(order.status)) throw conflict(`The Mercado Livre order ${order.mlOrderId} is ${order.status}, not paid yet; labels exist only for paid orders.`);

  const shipment = await mercadoEnviosShipment(ctx, order);
  if (shipment) return mercadoEnviosLabel(ctx, order, shipment, format);
  return tinyGroupLabel(ctx, push, input.groupCache);
}

async function fetchShipment(ctx: LabelContext, accountId: string, mlShipmentId: number): Promise<MlShipment> {
  const { client } = await ctx.ml();
  const fetchedAt = ctx.now();
  await upsertShipment(ctx.db, accountId, shipmentRow(await getShipment(client.forAccount(accountId), mlShipmentId), fetchedAt));
  const row = await findShipment(ctx.db, [accountId], mlShipmentId);
  if (!row) throw new AppError("internal", `Shipment ${mlShipmentId} was stored but cannot be read back.`);
  return row;
}

/** The order's shipment when Mercado Envios (ME2) carries it; null when the seller ships it himself. */
async function mercadoEnviosShipment(ctx: LabelContext, order: MlOrder): Promise<MlShipment | null> {
  if (order.shippingId === null) return null;
  const stored = await findShipment(ctx.db, [order.accountId], order.shippingId);
  const shipment = stored ?? (await fetchShipment(ctx, order.accountId, order.shippingId));
  return shipment.logisticMode === "me2" ? shipment : null;
}

async function mercadoEnviosLabel(ctx: LabelContext, order: MlOrder, stored: MlShipment, format: "pdf" | "zpl"): Promise<ShippingLabel> {
  if (stored.logisticType === "fulfillment") throw conflict("Mercado Livre Full ships this order from its own warehouse; there is no label for the seller to print.");
  if (stored.logisticType !== null && !SELLER_PRINTED_TYPES.has(stored.logisticType)) {
    throw conflict(`Mercado Envios ${stored.logisticType} shipments have no seller label.`);
  }
  // Our row follows ML's webhooks and may lag: ask ML before saying "not yet".
  const shipment = stored.labelAvailable ? stored : await fetchShipment(ctx, order.accountId, stored.mlShipmentId);
  if (!shipment.labelAvailable) {
    const state = `${shipment.status}${shipment.substatus ? `/${shipment.substatus}` : ""}`;
    if (["shipped", "delivered", "not_delivered", "cancelled"].includes(shipment.status))
      throw conflict(`The Mercado Envios shipment ${shipment.mlShipmentId} is ${state}; its label is no longer printable.`);
    throw conflict(
      `The Mercado Envios label is not available yet: shipment ${shipment.mlShipmentId} is ${state}, and ML releases it at ready_to_ship/ready_to_print (drop-off and cross-docking also need the invoice sent to ML first).`,
    );
  }
  const { client } = await ctx.ml();
  try {
    const { bytes, contentType } = await getShipmentLabel(client.forAccount(order.accountId), shipment.mlShipmentId, format);
    return { source: "mercado_envios", bytes, contentType, filename: `etiqueta-${order.mlOrderId}.${format === "pdf" ? "pdf" : "zip"}` };
  } catch (error) {
    if (error instanceof MlApiError && error.mlStatus === 400)
      throw new AppError("conflict", `Mercado Livre refused the label of shipment ${shipment.mlShipmentId}: it is not printable now.`, { cause: error, retryable: false });
    throw error;
  }
}

/** Groups read per lookup: each is one Tiny read, and the Worker shares the company's quota. */
const SHIPPING_GROUPS_SCANNED = 10;
const GROUP_CACHE_SECONDS = 30 * 86_400;

async function tinyGroupLabel(ctx: LabelContext, push: TinyOrderPush, cache: ShippingGroupCache): Promise<ShippingLabel> {
  const tinyOrderId = push.tinyOrderId;
  if (tinyOrderId === null) throw conflict(`The order is not in Tiny (push status ${push.status}); push it first, then group it for shipping in Tiny.`);
  const tiny = await ctx.tiny();
  const api = tinyShippingApi(tiny.client.forAccount(push.tinyAccountId));

  // A shipment never moves to another group, so the group found once is remembered.
  const cached = await cache.get(push.tinyAccountId, tinyOrderId);
  if (cached) {
    try {
      return await labelOf(ctx, api, push, tinyOrderId, cached);
    } catch (error) {
      if (!(error instanceof TinyApiError && error.tinyStatus === 404)) throw error;
      await cache.forget(push.tinyAccountId, tinyOrderId);
    }
  }

  const order = await api.getOrder(tinyOrderId);
  if (order.situacao === 2) throw conflict(`The Tiny order ${order.numeroPedido ?? order.id} is cancelled; it ships nothing.`);
  const methodId = order.transportador?.formaEnvio?.id;
  const since = /^\d{4}-\d{2}-\d{2}$/.test(order.data ?? "") ? order.data! : undefined;
  const page = await api.listGroups({ idFormaEnvio: methodId ? methodId : undefined, dataInicial: since, orderBy: "desc", limit: SHIPPING_GROUPS_SCANNED });
  const invoiceId = order.idNotaFiscal ? order.idNotaFiscal : null;
  for (const listed of page.itens) {
    const group = await api.getGroup(listed.id);
    const shipment = group.expedicoes.find((s) => s.venda?.id === tinyOrderId || (invoiceId !== null && s.notaFiscal?.id === invoiceId));
    if (!shipment) continue;
    const hit: CachedGroup = { groupId: group.id, shipmentId: shipment.id, name: group.identificacao, date: group.data };
    await cache.set(push.tinyAccountId, tinyOrderId, hit, GROUP_CACHE_SECONDS);
    return labelOf(ctx, api, push, tinyOrderId, hit);
  }
  const searched = page.paginacao.total > page.itens.length ? ` (only the ${page.itens.length} newest of ${page.paginacao.total} groups since the order's date were searched)` : "";
  throw conflict(`No Tiny shipping group (expedição) contains order ${order.numeroPedido ?? order.id} yet${searched}: group it for shipping in Tiny first.`);
}

async function labelOf(ctx: LabelContext, api: TinyShippingApi, push: TinyOrderPush, tinyOrderId: number, hit: CachedGroup): Promise<ShippingLabel> {
  const urls = await api.shipmentLabels(hit.groupId, hit.shipmentId);
  if (urls.length === 0) throw conflict(`Tiny has no label for order ${tinyOrderId} in shipping group ${hit.groupId} yet.`);
  ctx.log.info("tiny shipping label found", { pushId: push.id, groupId: hit.groupId, shipmentId: hit.shipmentId });
  return { source: "tiny", push, tinyOrderId, group: { id: hit.groupId, name: hit.name, date: hit.date }, shipmentId: hit.shipmentId, urls };
}
