import { AppError } from "#core/errors";
import { pushOrderToTiny } from "#domain/orders/tiny-order-push";
import type { Payload } from "#core/jobs/catalog";
import { linkedProductsOfOrder } from "#db/queries/tiny-orders";
import type { Processor, Processors } from "../types";
import { enqueueProductStockSync } from "./stock";

/**
 * Background push of one ML order. A definitive failure (unlinked item, Tiny's validation)
 * completes the job: the reason is on the push row for the seller, and repeating cannot fix
 * it. An unknown outcome or a refusal before sending is retried; the next attempt looks the
 * order up before creating, so retries never duplicate it.
 */
export const tinyOrderPush: Processor<"tinyerp.order.push"> = async (payload, ctx) => {
  const tiny = ctx.services.tiny;
  if (!tiny) throw new AppError("unavailable", "Tiny is not configured in the jobs container.", { retryable: false });
  const startedAt = Date.now();
  const result = await pushOrderToTiny({ ctx: { db: ctx.db, client: tiny.client.forAccount(payload.tinyAccountId), log: ctx.log }, input: payload });
  // Another push holds the order: come back after it, without spending an attempt.
  if (result.inProgress) return ctx.defer(30_000, "another push of this order is in progress");
  const { push } = result;
  ctx.log.info("tiny order push", { mlOrderId: payload.mlOrderId, status: push.status, tinyOrderId: push.tinyOrderId ?? undefined, calls: result.calls });
  if (movedAfter(push.stockPostedAt, startedAt) || movedAfter(push.stockReturnedAt, startedAt)) await syncOrderStock(ctx, payload);
  if (push.status === "unknown" || push.status === "intent" || push.status === "sending" || (push.status === "created" && !push.markersAddedAt)) {
    throw new AppError("unavailable", push.lastError ?? `Order push ended as ${push.status}; retrying.`, { retryable: true });
  }
};

const movedAfter = (at: Date | null, startedAt: number) => at !== null && at.getTime() >= startedAt;

/**
 * Tiny's stock webhook may arrive before the posting is recorded here, and the stock sync then
 * still counts the sale as pending: re-syncing the order's products once the posting (or its
 * return) is recorded corrects ML within seconds instead of at the next poll.
 */
async function syncOrderStock(ctx: Parameters<Processor<"tinyerp.order.push">>[1], payload: Payload<"tinyerp.order.push">): Promise<void> {
  const productIds = await linkedProductsOfOrder(ctx.db, payload.userId, payload.tinyAccountId, payload.mlOrderId);
  for (const productId of productIds) {
    await enqueueProductStockSync(ctx, payload.tinyAccountId, productId, "order");
  }
}

export const tinyOrderProcessors: Pick<Processors, "tinyerp.order.push"> = { "tinyerp.order.push": tinyOrderPush };
