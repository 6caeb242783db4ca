import type { toOrderRow } from "../../../../core/ml-resources";
import { upsertOrder } from "../../../../db/queries/ml-data";
import { forwardTargetsForOrder, ordersOwingForward } from "../../../../db/queries/tiny-forwarding";
import type { JobContext, Processor, Processors } from "../types";

/**
 * How every ML order path (webhook, sync, reconciliation) stores an order: a change that was
 * applied enqueues a push per Tiny account the order concerns. The push itself decides what is
 * owed (create, stock, invoice, cancel) and is a no-op when nothing is, so enqueueing generously
 * is cheap and safe. An enqueue that fails fails the caller, whose retry stores the same state
 * again (same-or-newer is applied) and so forwards again.
 */
export async function storeOrderAndForward(ctx: Pick<JobContext, "db" | "enqueue">, accountId: string, row: ReturnType<typeof toOrderRow>): Promise<boolean> {
  const { applied } = await upsertOrder(ctx.db, accountId, row);
  if (!applied) return false;
  for (const target of await forwardTargetsForOrder(ctx.db, row.order.mlOrderId)) await ctx.enqueue("tinyerp.order.push", target);
  return true;
}

/** A push left alone this long without finishing is re-enqueued (its own retries are ~30 min of backoff). */
const idleMs = 5 * 60_000;
const sweepLimit = 500;

/**
 * The safety net under forwarding: an enqueue lost between storing an order and adding its
 * push (Redis blip, crash), a push whose job ran out of attempts while Tiny was down, or a
 * cancellation that arrived while the order was still being created.
 */
export const tinyOrderForwardSweep: Processor<"tinyerp.orders.forward.sweep"> = async (payload, ctx) => {
  const owed = await ordersOwingForward(ctx.db, { userId: payload.userId, idleMs, limit: sweepLimit });
  for (const target of owed) await ctx.enqueue("tinyerp.order.push", target);
  ctx.log.info("tiny order forward sweep", { enqueued: owed.length });
  return { enqueued: owed.length };
};

export const tinyForwardProcessors: Pick<Processors, "tinyerp.orders.forward.sweep"> = { "tinyerp.orders.forward.sweep": tinyOrderForwardSweep };
