import { AppError } from "../../../core/errors";
import { toShipmentRow } from "../../../integrations/mercadolibre/transform";
import { MlApiError } from "../../../integrations/mercadolibre";
import { TinyApiError } from "../../../integrations/tiny";
import { tinyShippingApi, type TinyShippingApi, type TinyShippingGroupPage } from "../../../integrations/tiny/shipping-api";
import { upsertShipment } from "../../../db/queries/ml-data";
import { findShipment } from "../../../db/queries/ml-read";
import { findOrderPushOfUser, findUserMlOrder, type TinyOrderPush } from "../../../db/queries/tiny-orders";
import type { MlOrder, MlShipment } from "../../../db/schema";
import type { Principal } from "../lib/types";
import { resolveAccount } from "./tinyerp";
import type { Services } from ".";

/**
 * Shipping labels of a pushed order, from whichever side ships it. Mercado Envios (ME2)
 * shipments print ML's label, passed through byte for byte; everything else (ME1, agreed with
 * the seller, no shipment) ships through a Tiny shipping group (expedição), whose labels Tiny
 * serves as links. Every "not yet" is a 409 saying what is missing, never an empty success.
 */

export interface ShippingGroupQuery {
  accountId?: string | undefined;
  dataInicial?: string | undefined;
  dataFinal?: string | undefined;
  shippingMethodId?: number | undefined;
  limit: number;
  offset: number;
}

export async function listShippingGroups(services: Services, principal: Principal, query: ShippingGroupQuery): Promise<{ accountId: string; page: TinyShippingGroupPage }> {
  const account = await resolveAccount(services, principal, query.accountId);
  const tiny = await services.tiny();
  const page = await tinyShippingApi(tiny.client.forAccount(account.id)).listGroups({
    idFormaEnvio: query.shippingMethodId,
    dataInicial: query.dataInicial,
    dataFinal: query.dataFinal,
    limit: query.limit,
    offset: query.offset,
  });
  return { accountId: account.id, page };
}

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

const conflict = (message: string) => new AppError("conflict", message, { retryable: false });

/** ML's own rule (mercadolibre-api.md §8): labels exist only for these ME2 types. */
const SELLER_PRINTED_TYPES = new Set(["drop_off", "xd_drop_off", "cross_docking", "self_service"]);
const SHIPPABLE_ORDER_STATUSES = new Set(["paid", "partially_refunded"]);

export async function getShippingLabel(services: Services, principal: Principal, pushId: string, format: "pdf" | "zpl"): Promise<ShippingLabel> {
  const push = await findOrderPushOfUser(services.db, principal.userId, pushId);
  if (!push) throw new AppError("not_found", "No such order push.");
  const found = await findUserMlOrder(services.db, principal.userId, push.mlOrderId);
  if (!found) throw conflict(`The Mercado Livre order ${push.mlOrderId} is no longer stored (its ML account was removed); no label can be chosen for it.`);
  const order = found.order;
  if (order.status === "cancelled") throw conflict(`The Mercado Livre order ${order.mlOrderId} is cancelled; it ships nothing.`);
  if (!SHIPPABLE_ORDER_STATUSES.has(order.status)) throw conflict(`The Mercado Livre order ${order.mlOrderId} is ${order.status}, not paid yet; labels exist only for paid orders.`);

  const shipment = await mercadoEnviosShipment(services, order);
  if (shipment) return mercadoEnviosLabel(services, order, shipment, format);
  return tinyGroupLabel(services, push);
}

async function fetchShipment(services: Services, accountId: string, mlShipmentId: number): Promise<MlShipment> {
  const { client } = await services.ml();
  const fetchedAt = services.now();
  const raw = await client.get(accountId, `/shipments/${mlShipmentId}`, { headers: { "x-format-new": "true" } });
  await upsertShipment(services.db, accountId, toShipmentRow(raw, fetchedAt));
  const row = await findShipment(services.db, [accountId], mlShipmentId);
  if (!row) throw new AppError("internal", `Shipment ${mlShipmentId} was stored but cannot be read back.`);
  return row;
}

/** The order's shipment when Mercado Envios (ME2) carries it; null when the seller ships it himself. */
async function mercadoEnviosShipment(services: Services, order: MlOrder): Promise<MlShipment | null> {
  if (order.shippingId === null) return null;
  const stored = await findShipment(services.db, [order.accountId], order.shippingId);
  const shipment = stored ?? (await fetchShipment(services, order.accountId, order.shippingId));
  return shipment.logisticMode === "me2" ? shipment : null;
}

async function mercadoEnviosLabel(services: Services, order: MlOrder, stored: MlShipment, format: "pdf" | "zpl"): Promise<ShippingLabel> {
  if (stored.logisticType === "fulfillment") throw conflict("Mercado Livre Full ships this order from its own warehouse; there is no label for the seller to print.");
  if (stored.logisticType !== null && !SELLER_PRINTED_TYPES.has(stored.logisticType)) {
    throw conflict(`Mercado Envios ${stored.logisticType} shipments have no seller label.`);
  }
  // Our row follows ML's webhooks and may lag: ask ML before saying "not yet".
  const shipment = stored.labelAvailable ? stored : await fetchShipment(services, order.accountId, stored.mlShipmentId);
  if (!shipment.labelAvailable) {
    const state = `${shipment.status}${shipment.substatus ? `/${shipment.substatus}` : ""}`;
    if (["shipped", "delivered", "not_delivered", "cancelled"].includes(shipment.status))
      throw conflict(`The Mercado Envios shipment ${shipment.mlShipmentId} is ${state}; its label is no longer printable.`);
    throw conflict(
      `The Mercado Envios label is not available yet: shipment ${shipment.mlShipmentId} is ${state}, and ML releases it at ready_to_ship/ready_to_print (drop-off and cross-docking also need the invoice sent to ML first).`,
    );
  }
  const { client } = await services.ml();
  try {
    const response = await client.request<Uint8Array>(order.accountId, "GET", "/shipment_labels", {
      query: { shipment_ids: shipment.mlShipmentId, response_type: format === "pdf" ? "pdf" : "zpl2" },
      binary: true,
    });
    const contentType = response.headers.get("content-type") ?? (format === "pdf" ? "application/pdf" : "application/zip");
    return { source: "mercado_envios", bytes: response.data, contentType, filename: `etiqueta-${order.mlOrderId}.${format === "pdf" ? "pdf" : "zip"}` };
  } catch (error) {
    if (error instanceof MlApiError && error.mlStatus === 400)
      throw new AppError("conflict", `Mercado Livre refused the label of shipment ${shipment.mlShipmentId}: it is not printable now.`, { cause: error, retryable: false });
    throw error;
  }
}

/** Groups read per lookup: each is one Tiny read, and the Worker shares the company's quota. */
const SHIPPING_GROUPS_SCANNED = 10;
const GROUP_CACHE_SECONDS = 30 * 86_400;

interface CachedGroup {
  groupId: number;
  shipmentId: number;
  name: string | null;
  date: string | null;
}

async function tinyGroupLabel(services: Services, push: TinyOrderPush): Promise<ShippingLabel> {
  const tinyOrderId = push.tinyOrderId;
  if (tinyOrderId === null) throw conflict(`The order is not in Tiny (push status ${push.status}); push it first, then group it for shipping in Tiny.`);
  const tiny = await services.tiny();
  const api = tinyShippingApi(tiny.client.forAccount(push.tinyAccountId));
  const cacheKey = services.key("tiny-shipping-group", push.tinyAccountId, String(tinyOrderId));

  // A shipment never moves to another group, so the group found once is remembered.
  const cached = await readCache(services, cacheKey);
  if (cached) {
    try {
      return await labelOf(services, api, push, tinyOrderId, cached);
    } catch (error) {
      if (!(error instanceof TinyApiError && error.tinyStatus === 404)) throw error;
      await services.redis.del(cacheKey);
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
    await services.redis.set(cacheKey, JSON.stringify(hit), { ex: GROUP_CACHE_SECONDS });
    return labelOf(services, api, push, tinyOrderId, hit);
  }
  const searched = page.paginacao.total > page.itens.length ? ` (only the ${page.itens.length} newest of ${page.paginacao.total} groups since the order's date were searched)` : "";
  throw conflict(`No Tiny shipping group (expedição) contains order ${order.numeroPedido ?? order.id} yet${searched}: group it for shipping in Tiny first.`);
}

async function labelOf(services: Services, api: TinyShippingApi, push: TinyOrderPush, tinyOrderId: number, hit: CachedGroup): Promise<ShippingLabel> {
  const urls = await api.shipmentLabels(hit.groupId, hit.shipmentId);
  if (urls.length === 0) throw conflict(`Tiny has no label for order ${tinyOrderId} in shipping group ${hit.groupId} yet.`);
  services.logger.info("tiny shipping label found", { pushId: push.id, groupId: hit.groupId, shipmentId: hit.shipmentId });
  return { source: "tiny", push, tinyOrderId, group: { id: hit.groupId, name: hit.name, date: hit.date }, shipmentId: hit.shipmentId, urls };
}

async function readCache(services: Services, key: string): Promise<CachedGroup | null> {
  const raw = await services.redis.get<CachedGroup | string>(key);
  if (!raw) return null;
  return typeof raw === "string" ? (JSON.parse(raw) as CachedGroup) : raw;
}
