import { ordersOwingForward } from "#db/queries/tiny-forwarding";
import { paidMlOrderStatuses } from "#domain/orders/paid";
import type { Processor, Processors } from "../types";

/** A push left alone this long without finishing is re-enqueued (its own retries are ~30 min of backoff). */
const idleMs = 5 * 60_000;
const sweepLimit = 500;

/**
 * The safety net under forwarding: an enqueue lost between storing an order and adding its
 * push (Redis blip, crash), a push whose job ran out of attempts while Tiny was down, or a
 * cancellation that arrived while the order was still being created.
 */
export const tinyOrderForwardSweep: Processor<"tinyerp.orders.forward.sweep"> = async (payload, ctx) => {
  const owed = await ordersOwingForward(ctx.db, { userId: payload.userId, idleMs, limit: sweepLimit, paid: paidMlOrderStatuses });
  for (const target of owed) await ctx.enqueue("tinyerp.order.push", target);
  ctx.log.info("tiny order forward sweep", { enqueued: owed.length });
  return { enqueued: owed.length };
};

export const tinyForwardProcessors: Pick<Processors, "tinyerp.orders.forward.sweep"> = { "tinyerp.orders.forward.sweep": tinyOrderForwardSweep };
