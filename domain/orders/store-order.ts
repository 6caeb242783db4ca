import { upsertOrder } from "#db/queries/ml-data";
import { forwardTargetsForOrder } from "#db/queries/tiny-forwarding";
import type { OrderRowInput } from "#integrations/mercadolibre/transform";
import type { DomainContext } from "../context";
import { paidMlOrderStatuses } from "./paid";

/**
 * How every ML order path (webhook, sync, reconciliation) stores an order: a change that was
 * applied enqueues a push per Tiny account the order concerns. The push itself decides what is
 * owed (create, stock, invoice, cancel) and is a no-op when nothing is, so enqueueing generously
 * is cheap and safe. An enqueue that fails fails the caller, whose retry stores the same state
 * again (same-or-newer is applied) and so forwards again.
 */
export async function storeOrderAndForward({ ctx, input }: { ctx: Pick<DomainContext, "db" | "enqueue">; input: { accountId: string; row: OrderRowInput } }): Promise<boolean> {
  const { accountId, row } = input;
  const { applied } = await upsertOrder(ctx.db, accountId, row);
  if (!applied) return false;
  for (const target of await forwardTargetsForOrder(ctx.db, row.order.mlOrderId, paidMlOrderStatuses)) await ctx.enqueue("tinyerp.order.push", target);
  return true;
}
