import { z } from "zod";

/**
 * Tiny token keep-alive (issue 7). Tiny refresh tokens live one day and rotate on every use;
 * an account nobody refreshes for a day is lost until its user reconnects. The scheduled sweep
 * refreshes every active account long before that, whether or not anything else uses it.
 */
export const tinyKeepAlivePayload = z.strictObject({
  /** Only this account (the API's "refresh now" and tests); all due accounts otherwise. */
  accountId: z.uuid().optional(),
});

/**
 * One ML → Tiny product sync run (a row in tiny_product_sync_runs). The Worker publishes it
 * through QStash after inserting the row; the daily schedule enqueues it directly. The row
 * carries account, user and cursor, so a redelivery or retry continues the run it names.
 */
export const tinyProductSyncPayload = z.strictObject({
  runId: z.uuid(),
});

export type TinyProductSyncPayload = z.output<typeof tinyProductSyncPayload>;

export function tinyProductSyncKey(payload: TinyProductSyncPayload): string {
  return `run|${payload.runId}`;
}

/** The daily fan-out: a run per eligible account, or only the one named. */
export const tinyProductSyncSchedulePayload = z.strictObject({
  accountId: z.uuid().optional(),
});

/**
 * Push one ML order to one Tiny account (issue 7, orders). No idempotency key on purpose: the
 * tiny_order_pushes row already makes a repeat a no-op, and a kept jobId would swallow the
 * re-push a seller asks for after fixing an unlinked item.
 */
export const tinyOrderPushPayload = z.strictObject({
  userId: z.uuid(),
  tinyAccountId: z.uuid(),
  mlOrderId: z.number().int().positive(),
});
