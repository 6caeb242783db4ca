import { errorFields, type Logger } from "../../../core/log";
import { stockPollEveryMs } from "../processors/tiny/stock";
import type { QueueRegistry } from "./registry";

/**
 * The recurring jobs. ML retries a notification for one hour and keeps what it gave up on in
 * /missed_feeds for two days; polling that every 10 minutes and reconciling orders every 15
 * puts an upper bound on how late a change can land even when no notification ever arrives.
 */
export const schedules = [
  { id: "scheduler:ml.missed-feeds", queue: "ml-sync", name: "ml.missed-feeds", everyMs: 10 * 60_000 },
  { id: "scheduler:ml.reconcile", queue: "ml-sync", name: "ml.reconcile", everyMs: 15 * 60_000 },
  // Incremental sync of every account, full once a week (docs/ml-sync.md).
  { id: "scheduler:ml.sync.schedule", queue: "ml-sync", name: "ml.sync.schedule", everyMs: 30 * 60_000 },
  // Token refresh and inactivity keep-alive for every connected account (docs/mercadolibre-accounts.md).
  { id: "scheduler:ml.tokens.sweep", queue: "ml-token-refresh", name: "ml.tokens.sweep", everyMs: 10 * 60_000 },
  // Tiny refresh tokens die after one day unused (docs/tiny.md): refresh every account well before.
  { id: "scheduler:tinyerp.tokens.keepalive", queue: "tinyerp-sync", name: "tinyerp.tokens.keepalive", everyMs: 30 * 60_000 },
  // ML → Tiny product sync once a day per connected Tiny account (docs/tiny.md); runs in time slices.
  { id: "scheduler:tinyerp.products.sync.schedule", queue: "tinyerp-sync", name: "tinyerp.products.sync.schedule", everyMs: 24 * 60 * 60_000 },
  // Paid ML orders never forwarded, pushes that still owe Tiny a step (docs/tiny.md, "Forwarding").
  { id: "scheduler:tinyerp.orders.forward.sweep", queue: "tinyerp-realtime", name: "tinyerp.orders.forward.sweep", everyMs: 5 * 60_000 },
  // Tiny stock webhooks Tiny never sent: re-reads a few linked products per company (docs/tiny-stock.md, "Polling").
  { id: "scheduler:tinyerp.stock.poll", queue: "tinyerp-realtime", name: "tinyerp.stock.poll", everyMs: stockPollEveryMs },
  // Ended sessions and settled webhook events past their age (docs/webhooks.md, "Retention").
  { id: "scheduler:maintenance.retention", queue: "ml-sync", name: "maintenance.retention", everyMs: 24 * 60 * 60_000 },
] as const;

const retryMs = 30_000;

/** Upserts every schedule; while Redis is unreachable it keeps trying in the background. */
export async function startSchedulers(queues: QueueRegistry, log: Logger): Promise<void> {
  for (;;) {
    try {
      for (const schedule of schedules) {
        await queues[schedule.queue].upsertJobScheduler(schedule.id, { every: schedule.everyMs }, { name: schedule.name, data: {} });
      }
      log.info("job schedulers registered", { schedulers: schedules.map((s) => s.id) });
      return;
    } catch (error) {
      log.warn("job schedulers not registered yet; retrying", { retryMs, ...errorFields(error) });
      await new Promise<void>((resolve) => setTimeout(resolve, retryMs).unref());
    }
  }
}
