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

/**
 * A Tiny webhook accepted at the edge (POST /webhooks/tinyerp/{secret}). The secret in the URL
 * named the account; Tiny signs nothing, so `dados` is only a hint of what changed: processors
 * re-read the resource from Tiny rather than trust it.
 */
export const tinyWebhookPayload = z.strictObject({
  accountId: z.uuid(),
  /** Tiny's `tipo`: estoque, inclusao_pedido, atualizacao_pedido, produto, … */
  tipo: z.string().min(1).max(64),
  dados: z.record(z.string(), z.unknown()),
  /** When the edge accepted it (ms since epoch): the start of the propagation clock. */
  receivedAt: z.number().int().positive(),
});

/**
 * Read Tiny stock of some products of one account and bring every linked ML listing or
 * variation to it. Tiny is the source of truth for stock; nothing flows the other way.
 */
export const tinyStockSyncPayload = z.strictObject({
  accountId: z.uuid(),
  /** Only these Tiny products (a webhook, the API's pick); every linked product otherwise. */
  productIds: z.array(z.number().int().positive()).min(1).max(500).optional(),
  trigger: z.enum(["api", "webhook", "poll", "order"]),
});

/**
 * The poll's period, and the age past which a linked product is due again: 10 reads per company
 * every 5 minutes is 2 of Tiny's 30 reads a minute (the batch is in the processor).
 */
export const tinyStockPollEveryMs = 5 * 60_000;

/** The polling safety net for stock webhooks Tiny never sent: the least recently read linked products. */
export const tinyStockPollPayload = z.strictObject({
  accountId: z.uuid().optional(),
});

/** Catches paid ML orders that were never forwarded (a lost enqueue, an account connected later). */
export const tinyOrderForwardSweepPayload = z.strictObject({
  userId: z.uuid().optional(),
});
