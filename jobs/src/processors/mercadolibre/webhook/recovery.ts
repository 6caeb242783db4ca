import { AppError } from "#core/errors";
import { mlNotificationWire } from "#core/jobs/ml-notification";
import { errorFields } from "#core/log";
import { getMissedFeeds } from "#integrations/mercadolibre/feeds-api";
import { searchOrders } from "#integrations/mercadolibre/orders-api";
import { toOrderRow } from "#integrations/mercadolibre/transform";
import { activeMlAccounts, getReconcileCursor, recordEnqueued, recordFetch, saveReconcileCursor } from "#db/queries/webhooks";
import { noteForeignResource } from "../../shared/foreign-resource";
import { storeOrderAndForward } from "#domain/orders/store-order";
import type { JobContext } from "../../types";
import { notificationFacts } from "./facts";

type Account = Awaited<ReturnType<typeof activeMlAccounts>>[number];

async function accountsFor(ctx: JobContext, accountId: string | undefined): Promise<Account[]> {
  const accounts = await activeMlAccounts(ctx.db);
  return accountId ? accounts.filter((account) => account.id === accountId) : accounts;
}

function requireMl(ctx: JobContext) {
  const { ml, mlAppId } = ctx.services;
  if (!ml || !mlAppId) throw new AppError("unavailable", "MercadoLibre is not configured in this container.", { retryable: false });
  return { ml, appId: mlAppId };
}

const feedPage = 50;
// /missed_feeds keeps two days; even a huge backlog is bounded, this only stops a runaway loop.
const maxFeedPages = 200;

/**
 * ML keeps notifications it could not deliver after ~8 attempts in /missed_feeds for two days.
 * Each one goes through the normal path (`ml.webhook`), so its key dedups against a delivery
 * that did arrive after all, and coalescing/ordering rules apply unchanged.
 */
export async function pollMissedFeeds(ctx: JobContext, accountId: string | undefined): Promise<{ accounts: number; found: number; enqueued: number }> {
  const { ml, appId } = requireMl(ctx);
  let found = 0;
  let enqueued = 0;
  const accounts = await accountsFor(ctx, accountId);
  for (const account of accounts) {
    try {
      for (let page = 0; page < maxFeedPages; page++) {
        const messages = await getMissedFeeds(ml.forAccount(account.id), { appId, offset: page * feedPage, limit: feedPage }, { signal: ctx.signal });
        for (const message of messages) {
          const parsed = mlNotificationWire.safeParse(message);
          if (!parsed.success) {
            ctx.log.warn("missed feed entry unreadable; skipped", { accountId: account.id });
            continue;
          }
          found++;
          const result = await ctx.enqueue("ml.webhook", parsed.data);
          if (!result.deduplicated) {
            enqueued++;
            await recordEnqueued(ctx.db, notificationFacts(parsed.data), { jobId: result.jobId, traceId: ctx.job.id, source: "missed_feed", at: new Date() });
          }
        }
        if (messages.length < feedPage) break;
      }
    } catch (error) {
      // One account's revoked grant must not stop the others from being recovered.
      if (error instanceof AppError && !error.retryable) {
        ctx.log.warn("missed feeds skipped for account", { accountId: account.id, ...errorFields(error) });
        continue;
      }
      throw error;
    }
  }
  ctx.services.metrics.inc("autoecom_ml_missed_feeds_total", {}, found);
  return { accounts: accounts.length, found, enqueued };
}

const searchPage = 50;
const hourMs = 3_600_000;
// A first pass looks back this far; afterwards the stored cursor decides.
const firstLookbackMs = 2 * hourMs;
const maxSearchOffset = 10_000;

/** ML's documented date format for order searches: milliseconds and a -00:00 offset. */
function mlSearchDate(date: Date): string {
  return date.toISOString().replace("Z", "-00:00");
}

/**
 * Orders changed since the cursor, straight from /orders/search (the results are full order
 * objects, so no per-order GET). ML only honours the hour of these filters, so the window
 * starts an hour before the cursor: re-reading a few orders is free (the upsert's last-updated
 * guard makes it a no-op), missing one is not. Cancelled orders are hidden from seller
 * searches; their orders_v2 notification (and missed_feeds) is what catches those.
 */
export async function reconcileOrders(ctx: JobContext, accountId: string | undefined): Promise<{ accounts: number; seen: number; applied: number }> {
  const { ml } = requireMl(ctx);
  let seen = 0;
  let applied = 0;
  const accounts = await accountsFor(ctx, accountId);
  for (const account of accounts) {
    const passStarted = new Date();
    const cursor = (await getReconcileCursor(ctx.db, account.id, "orders")) ?? new Date(passStarted.getTime() - firstLookbackMs);
    const from = new Date(Math.floor((cursor.getTime() - hourMs) / hourMs) * hourMs);
    let found = 0;
    try {
      for (let offset = 0; offset < maxSearchOffset; offset += searchPage) {
        const fetchedAt = new Date();
        const { results, paging } = await searchOrders(
          ml.forAccount(account.id),
          account.mlUserId,
          { "order.date_last_updated.from": mlSearchDate(from), sort: "date_desc", offset, limit: searchPage },
          { signal: ctx.signal },
        );
        for (const raw of results) {
          seen++;
          found++;
          const row = toOrderRow(raw, fetchedAt);
          try {
            if (await storeOrderAndForward({ ctx: ctx, input: { accountId: account.id, row } })) applied++;
          } catch (error) {
            // Refused, not stored; the rest of the account's orders still reconcile.
            if (noteForeignResource(ctx, account.id, error, "reconcile")) continue;
            throw error;
          }
          await recordFetch(ctx.db, account.id, `orders:${row.order.mlOrderId}`, fetchedAt, 200);
        }
        const total = paging?.total ?? 0;
        if (results.length < searchPage || offset + searchPage >= total) break;
      }
      await saveReconcileCursor(ctx.db, account.id, "orders", passStarted, found);
    } catch (error) {
      if (error instanceof AppError && !error.retryable) {
        ctx.log.warn("order reconciliation skipped for account", { accountId: account.id, ...errorFields(error) });
        continue;
      }
      throw error;
    }
  }
  ctx.services.metrics.inc("autoecom_ml_reconciled_orders_total", {}, applied);
  return { accounts: accounts.length, seen, applied };
}
