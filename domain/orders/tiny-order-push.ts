import type { Database } from "#db/database";
import { findTinyAccount } from "#db/queries/tiny";
import {
  clearPushRefusals,
  claimBuyerContact,
  claimOrderPush,
  ensureOrderPush,
  forgetBuyerContact,
  findLinksForItems,
  findPushSettings,
  findUserMlOrder,
  linkKey,
  settleBuyerContact,
  updateClaimedPush,
  type OrderPushChange,
  type TinyOrderPush,
  type TinyOrderPushReason,
} from "#db/queries/tiny-orders";
import type { MlOrder, MlOrderItem } from "#db/schema";
import { AppError } from "#core/errors";
import { uuidv7 } from "#core/ids";
import type { Logger } from "#core/log";
import type { TinyAccountClient } from "#integrations/tiny/client";
import { toTinyDate } from "#integrations/tiny/dates";
import { TinyApiError } from "#integrations/tiny/errors";
import { isCancelledMlStatus } from "./paid";
import { owedFollowUps, runFollowUps } from "./tiny-order-followups";
import { buyerContactKey, buyerDocument, buyerName, documentDigits, mlContactCode, newBuyerContact } from "./buyer-contact";
import { tinyContactsApi, type TinyContactsApi } from "#integrations/tiny/contacts-api";
import { tinyOrderApi, type TinyOrderApi, type TinyOrderInput } from "#integrations/tiny/orders-api";
import { describeError } from "#core/redact";

/**
 * Pushes one ML order to one Tiny account, exactly once.
 *
 * Tiny has no idempotency key and its 409 does not say which order it collided with, so the
 * guarantee is built from three parts: (1) the intent row, unique per (ML order, Tiny
 * account), is written before any Tiny call; (2) only the holder of the row's lease may send
 * POST /pedidos, so our own pushers never race each other; (3) every create carries the ML
 * order id as numeroPedidoEcommerce on the account's ML channel, and whenever a create's
 * outcome is unknown (timeout, network error, 5xx, 409) the order is looked up by that number
 * before anything is sent again. The create payload is deterministic (no clock in it), so a
 * repeat that slips past the lookup still meets Tiny's payload-hash 409 rather than creating.
 */

export interface OrderPushDeps {
  db: Database;
  client: TinyAccountClient;
  log: Logger;
  now?: () => Date;
  /** How long one push may hold the order; longer than its worst case (a few calls × timeout). */
  leaseMs?: number;
}

export interface OrderPushRequest {
  userId: string;
  tinyAccountId: string;
  mlOrderId: number;
}

export interface OrderPushResult {
  push: TinyOrderPush;
  /** Another push held the order: this one changed nothing and `push` is its state as read. */
  inProgress: boolean;
  /** Tiny calls this push made. */
  calls: number;
}

export const orderMarkers = (mlOrderId: number) => [`ml-${mlOrderId}`, "autoecom"];
/** Renewed at every step, so it must outlast one call: the jobs' longest quota wait (65 s) plus the call's attempts. */
const DEFAULT_LEASE_MS = 180_000;

/** A create whose outcome we cannot know: only a definite 4xx (other than 409) proves nothing was created. */
function isAmbiguous(error: unknown): boolean {
  if (refusedBeforeSending(error)) return false;
  if (!(error instanceof TinyApiError)) return true;
  const status = error.tinyStatus;
  if (status === undefined) return true;
  if (status === 409) return true;
  return !(status >= 400 && status < 500);
}

/** Tiny's 429, or our own quota giving up before the request left: nothing was sent, safe to repeat as a fresh attempt. */
function refusedBeforeSending(error: unknown): boolean {
  return error instanceof TinyApiError && (error.tinyStatus === 429 || (error.tinyStatus === undefined && error.code === "rate_limited"));
}

function describe(error: unknown): string {
  return describeError(error).slice(0, 500);
}

/** Every item must have a link; an unlinked one is listed, never guessed by SKU. */
function mapItems(items: MlOrderItem[], links: Map<string, number>): { itens: TinyOrderInput["itens"]; reasons: TinyOrderPushReason[] } {
  const itens: TinyOrderInput["itens"] = [];
  const reasons: TinyOrderPushReason[] = [];
  if (items.length === 0) reasons.push({ code: "no_items", message: "The ML order has no items stored yet; sync it first." });
  for (const item of items) {
    const productId = links.get(linkKey(item.mlItemId, item.mlVariationId));
    if (productId === undefined) {
      reasons.push({
        code: "unlinked_item",
        message: `${item.mlItemId}${item.mlVariationId === null ? "" : ` variation ${item.mlVariationId}`} (SKU ${item.sellerSku ?? "none"}) is not linked to a Tiny product.`,
        mlItemId: item.mlItemId,
        mlVariationId: item.mlVariationId,
      });
      continue;
    }
    if (item.unitPrice === null) {
      // A zero-priced line would flow into the invoice and the receivables: refuse instead of guessing.
      reasons.push({ code: "missing_price", message: `${item.mlItemId} has no unit price stored; sync the order first.`, mlItemId: item.mlItemId, mlVariationId: item.mlVariationId });
      continue;
    }
    itens.push({ produto: { id: productId }, quantidade: item.quantity, valorUnitario: Number(item.unitPrice) });
  }
  return { itens, reasons };
}

export async function pushOrderToTiny({ ctx: deps, input: request }: { ctx: OrderPushDeps; input: OrderPushRequest }): Promise<OrderPushResult> {
  const now = deps.now ?? (() => new Date());
  const found = await findUserMlOrder(deps.db, request.userId, request.mlOrderId);
  if (!found) throw new AppError("not_found", "No such Mercado Livre order.");
  // The request names the order's owner and a Tiny account; a job payload is not proof they
  // go together, and one user's order must never be created in another user's company.
  const account = await findTinyAccount(deps.db, request.tinyAccountId);
  if (account?.userId !== request.userId) {
    deps.log.warn("order push refused: the Tiny account does not belong to the order's user", { ...request, accountFound: account !== undefined });
    throw new AppError("not_found", "No such Tiny account for this order's user.", { retryable: false });
  }

  const intent = await ensureOrderPush(deps.db, request);
  const settings = await findPushSettings(deps.db, request.tinyAccountId);
  const mlStatus = found.order.status;
  // Done already (or never to be done): a repeat costs no Tiny call at all.
  if (intent.status === "cancelled") return { push: intent, inProgress: false, calls: 0 };
  if (intent.status === "created" && intent.markersAddedAt && owedFollowUps(intent, mlStatus, settings.invoiceOnPaid).length === 0) {
    return { push: intent, inProgress: false, calls: 0 };
  }

  const token = uuidv7();
  const leaseMs = deps.leaseMs ?? DEFAULT_LEASE_MS;
  const claimed = await claimOrderPush(deps.db, intent.id, token, now(), leaseMs);
  if (!claimed) return { push: intent, inProgress: true, calls: 0 };

  let calls = 0;
  const api = tinyOrderApi(deps.client);
  // No Tiny call leaves without a live lease: it is renewed before each one, so a push may take
  // any number of calls as long as one call (with its quota wait) fits in the lease.
  const counted = async <T>(p: () => Promise<T>) => {
    await checkpoint({});
    calls++;
    return p();
  };
  const save = async (change: OrderPushChange & { release?: boolean }) => {
    const row = await updateClaimedPush(deps.db, claimed.id, token, { ...change, addCalls: calls, renewMs: leaseMs }, now());
    calls = 0;
    if (!row) throw new AppError("conflict", "The order push lease expired while Tiny was being called; another push took over.", { retryable: true });
    return row;
  };
  let total = 0;
  const finish = async (change: OrderPushChange) => {
    total += calls;
    const push = await save({ ...change, release: true });
    return { push, inProgress: false, calls: total };
  };
  const checkpoint = async (change: OrderPushChange) => {
    total += calls;
    return save(change);
  };

  try {
    let push = claimed;
    if (push.tinyOrderId === null) {
      const channel = settings.channel;
      // Cancelled before Tiny had it: nothing to create — unless an earlier create may have landed.
      if (isCancelledMlStatus(mlStatus) && push.status !== "sending" && push.status !== "unknown") {
        return await finish({ status: "cancelled", lastError: null, lastErrorAt: null, failureReasons: [] });
      }
      if (channel === null) {
        return await finish({
          status: "failed",
          lastError: "The Tiny account has no Mercado Livre channel configured.",
          lastErrorAt: now(),
          failureReasons: [
            { code: "no_ml_channel", message: "Set the account's Mercado Livre e-commerce channel id: without it Tiny drops the ML order number and a pushed order cannot be found again safely." },
          ],
        });
      }
      const numero = String(request.mlOrderId);

      // The order is in Tiny, whether our create made it or a lookup found it.
      const adopt = (existing: { id: number; numeroPedido: string | null }) =>
        checkpoint({ status: "created", tinyOrderId: existing.id, tinyOrderNumber: existing.numeroPedido, createdInTinyAt: now(), lastError: null, lastErrorAt: null, failureReasons: [] });

      // A previous attempt may have created it: find it before sending anything.
      const mayHaveSent = push.status === "sending" || push.status === "unknown";
      if (mayHaveSent) {
        const existing = await lookup(api, numero, channel, counted, deps.log);
        if (existing) push = await adopt(existing);
        else if (isCancelledMlStatus(mlStatus)) return await finish({ status: "cancelled", lastError: null, lastErrorAt: null, failureReasons: [] });
      }

      let itens: TinyOrderInput["itens"] = [];
      if (push.tinyOrderId === null) {
        const links = await findLinksForItems(deps.db, request.userId, request.tinyAccountId, [...new Set(found.items.map((i) => i.mlItemId))]);
        const mapped = mapItems(found.items, links);
        itens = mapped.itens;
        const reasons = mapped.reasons;
        if (!found.order.buyer && found.order.buyerId === null) reasons.push({ code: "no_buyer", message: "The ML order has no buyer stored yet; sync it first." });
        if (reasons.length > 0) {
          return await finish({ status: "failed", lastError: reasons.map((r) => r.message).join(" "), lastErrorAt: now(), failureReasons: reasons });
        }
        // Tiny's 409 only catches an identical payload, and the order may already be in Tiny by
        // another road (Tiny's own Mercado Livre integration, a record we lost): look before the first create too.
        if (!mayHaveSent) {
          const existing = await lookup(api, numero, channel, counted, deps.log);
          if (existing) push = await adopt(existing);
        }
      }

      if (push.tinyOrderId === null) {
        let contactId = push.tinyContactId;
        if (contactId === null) {
          contactId = await buyerContact(deps, request.tinyAccountId, found.order, (order) => findOrCreateContact(tinyContactsApi(deps.client), order, counted));
          push = await checkpoint({ tinyContactId: contactId });
        }

        const body: TinyOrderInput = {
          data: toTinyDate(found.order.mlDateCreated ?? found.order.createdAt),
          idContato: contactId,
          numeroOrdemCompra: numero,
          observacoes: `Pedido Mercado Livre ${numero}`,
          ecommerce: { id: channel, numeroPedidoEcommerce: numero },
          itens,
        };
        // Persisted before the call: a crash from here on leaves "look it up first" behind.
        push = await checkpoint({ status: "sending" });
        try {
          push = await adopt(await counted(() => api.createOrder(body)));
        } catch (error) {
          if (!isAmbiguous(error)) {
            if (!refusedBeforeSending(error)) {
              // The contact may be gone in Tiny: the next attempt finds or creates it again.
              await forgetBuyerContact(deps.db, request.tinyAccountId, contactId);
              await checkpoint({ tinyContactId: null });
            }
            const reasons: TinyOrderPushReason[] =
              error instanceof TinyApiError && error.tinyDetails.length > 0
                ? error.tinyDetails.map((d) => ({ code: "tiny_rejected", message: `${d.path}: ${d.message}` }))
                : [{ code: "tiny_rejected", message: describe(error) }];
            const retryableRefusal = refusedBeforeSending(error);
            return await finish({ status: retryableRefusal ? "intent" : "failed", lastError: describe(error), lastErrorAt: now(), failureReasons: reasons });
          }
          deps.log.warn("tiny order create had an unknown outcome; looking it up", { mlOrderId: request.mlOrderId, error: describe(error) });
          const existing = await lookup(api, numero, channel, counted, deps.log).catch(() => undefined);
          if (!existing) {
            return await finish({
              status: "unknown",
              lastError: describe(error),
              lastErrorAt: now(),
              failureReasons: [
                { code: "outcome_unknown", message: "Tiny's answer to the create was lost or ambiguous and the order is not visible yet; the next attempt looks it up before creating." },
              ],
            });
          }
          push = await adopt(existing);
        }
      }
    }

    const tinyOrderId = push.tinyOrderId;
    if (tinyOrderId === null) return await finish({});
    if (!push.markersAddedAt) {
      try {
        await counted(() => api.addOrderMarkers(tinyOrderId, orderMarkers(request.mlOrderId)));
        push = await checkpoint({ markersAddedAt: now() });
      } catch (error) {
        // The order exists; only the markers are owed. Adding them again is harmless, so the next push retries.
        return await finish({ lastError: `Order created; adding markers failed: ${describe(error)}`, lastErrorAt: now() });
      }
    }
    const earlierError = push.lastError;
    const followed = await runFollowUps({ api, counted, checkpoint, now }, push, mlStatus, settings.invoiceOnPaid);
    // Everything owed is done: an error left by an earlier attempt no longer describes the order.
    const stale = followed.refused === null && earlierError !== null && followed.push.lastError === earlierError;
    return await finish(stale ? { lastError: null, lastErrorAt: null, failureReasons: [] } : {});
  } catch (error) {
    if (error instanceof AppError && error.code === "conflict") throw error;
    // Before the create (contact, quota) nothing was sent; after it the row still says
    // "sending", which makes the next attempt look the order up first. Either way the status stays.
    await updateClaimedPush(deps.db, claimed.id, token, { lastError: describe(error), lastErrorAt: now(), addCalls: calls, release: true }, now());
    throw error;
  }
}

async function lookup(api: TinyOrderApi, numero: string, channel: number, counted: <T>(p: () => Promise<T>) => Promise<T>, log: Logger) {
  const rows = (await counted(() => api.findOrdersByEcommerceNumber(numero))).filter((o) => o.ecommerce?.numeroPedidoEcommerce === numero && (o.ecommerce.id ?? channel) === channel);
  if (rows.length > 1) log.warn("several Tiny orders carry one ML order number; keeping the oldest", { numero, ids: rows.map((r) => r.id) });
  return rows.sort((a, b) => a.id - b.id)[0];
}

const contactLeaseMs = 30_000;
const contactWaitMs = 10_000;

const contactKeyOf = (order: MlOrder) => buyerContactKey(buyerDocument(order.buyer?.docNumber), contactCodeOf(order));

const contactCodeOf = (order: MlOrder) => mlContactCode(order.buyerId ?? order.mlOrderId);

/**
 * One Tiny contact per buyer and account, also when several of the buyer's orders are pushed at
 * once: the first push claims the buyer and finds or creates the contact, the others wait for
 * its id (a few seconds at most), and repeat buyers reuse it without a Tiny call.
 */
async function buyerContact(deps: OrderPushDeps, tinyAccountId: string, order: MlOrder, create: (order: MlOrder) => Promise<number>): Promise<number> {
  const now = deps.now ?? (() => new Date());
  const key = contactKeyOf(order);
  const token = uuidv7();
  const deadline = Date.now() + contactWaitMs;
  for (;;) {
    const state = await claimBuyerContact(deps.db, tinyAccountId, key, token, now(), contactLeaseMs);
    if (state.contactId !== null) return state.contactId;
    if (state.claimed) {
      let contactId: number | null = null;
      try {
        contactId = await create(order);
        return contactId;
      } finally {
        await settleBuyerContact(deps.db, tinyAccountId, key, token, contactId, now());
      }
    }
    if (Date.now() > deadline) throw new AppError("unavailable", "Another push is creating this buyer's Tiny contact; try again shortly.", { retryable: true, retryAfterSeconds: 5 });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One lookup — by document when the buyer has one, else by our code — and a create when absent. */
async function findOrCreateContact(api: TinyContactsApi, order: MlOrder, counted: <T>(p: () => Promise<T>) => Promise<T>): Promise<number> {
  const doc = buyerDocument(order.buyer?.docNumber);
  const codigo = contactCodeOf(order);
  const page = await counted(() => api.list(doc ? { cpfCnpj: doc, limit: 10 } : { codigo, limit: 10 }));
  const existing = page.itens.find((c) => (doc ? documentDigits(c.cpfCnpj) === doc : c.codigo === codigo));
  if (existing) return existing.id;
  return counted(() => api.create(newBuyerContact(buyerName(order.buyer, order.buyerId), codigo, doc)));
}

/** The seller fixed what failed (a link, the channel, data in Tiny): clear the refusal and push again. */
export async function resendOrderPush({ ctx, input: { push } }: { ctx: OrderPushDeps; input: { push: TinyOrderPush } }): Promise<OrderPushResult> {
  await clearPushRefusals(ctx.db, push.id, (ctx.now ?? (() => new Date()))());
  return pushOrderToTiny({ ctx, input: { userId: push.userId, tinyAccountId: push.tinyAccountId, mlOrderId: push.mlOrderId } });
}
