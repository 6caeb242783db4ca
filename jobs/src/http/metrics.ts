import { Hono } from "hono";
import { queueNames } from "#core/jobs/catalog";
import { errorFields, type Logger } from "#core/log";
import { withTimeout } from "#core/timeout";
import type { NodeDb } from "#db/client-node";
import { countPushesNeedingAttention } from "#db/queries/tiny-orders";
import { eventCountsByStatus } from "#db/queries/webhooks";
import type { Producer } from "../queues/enqueue";
import { isRedisReady } from "../redis";
import { formatLabels, type JobMetrics } from "../runtime/metrics";
import { bearerAuth } from "./basic-auth";
import type { AppEnv } from "./types";

const states = ["waiting", "active", "delayed", "prioritized", "waiting-children", "completed", "failed"] as const;
const scrapeTimeoutMs = 2_000;

/**
 * GET /metrics — Prometheus text format, behind its own read-only bearer token (queue depths and
 * error counts describe the business; a scraper's credential must not open Bull Board). Queue
 * gauges are read from Redis at scrape time, so every replica reports the same depths; durations
 * and processor counters are this process's own.
 * A source that is down is reported as `autoecom_metrics_source_up 0` rather than failing the scrape.
 */
export function metricsRoutes(deps: { producer: Producer; db: NodeDb; metrics: JobMetrics; token: string; log: Logger }) {
  return new Hono<AppEnv>().use("*", bearerAuth(deps.token, "AutoEcom metrics")).get("/", async (c) => {
    const lines: string[] = [];
    const up: Record<string, number> = { redis: 0, database: 0 };

    if (isRedisReady(deps.producer.connection)) {
      try {
        const counts = await withTimeout(Promise.all(queueNames.map(async (queue) => [queue, await deps.producer.queues[queue].getJobCounts(...states)] as const)), scrapeTimeoutMs, "queue counts");
        lines.push("# HELP autoecom_queue_jobs Jobs per queue and state (completed/failed: those still retained).");
        lines.push("# TYPE autoecom_queue_jobs gauge");
        for (const [queue, byState] of counts) {
          for (const state of states) lines.push(`autoecom_queue_jobs${formatLabels({ queue, state })} ${byState[state] ?? 0}`);
        }
        // A deep queue that moves is busy; one whose oldest job keeps ageing is stuck (no worker, or all blocked).
        const oldest = await withTimeout(
          Promise.all(queueNames.map(async (queue) => [queue, (await deps.producer.queues[queue].getJobs(["wait"], 0, 0, true))[0]] as const)),
          scrapeTimeoutMs,
          "oldest jobs",
        );
        lines.push("# HELP autoecom_queue_oldest_waiting_seconds Age of the oldest job waiting in each queue (since it was added, plus its initial delay); 0 when none waits.");
        lines.push("# TYPE autoecom_queue_oldest_waiting_seconds gauge");
        for (const [queue, job] of oldest) {
          const age = job ? Math.max(0, (Date.now() - job.timestamp - (job.opts.delay ?? 0)) / 1000) : 0;
          lines.push(`autoecom_queue_oldest_waiting_seconds${formatLabels({ queue })} ${age}`);
        }
        up.redis = 1;
      } catch (error) {
        deps.log.warn("metrics: queue counts unavailable", errorFields(error));
      }
    }

    try {
      const rows = await withTimeout(eventCountsByStatus(deps.db), scrapeTimeoutMs, "webhook event counts");
      lines.push("# HELP autoecom_webhook_events Webhook events per status and topic.");
      lines.push("# TYPE autoecom_webhook_events gauge");
      for (const row of rows) lines.push(`autoecom_webhook_events${formatLabels({ status: row.status, topic: row.topic })} ${row.count}`);
      const attention = await withTimeout(countPushesNeedingAttention(deps.db), scrapeTimeoutMs, "tiny pushes needing attention");
      lines.push("# HELP autoecom_tiny_order_pushes_needing_attention Tiny order pushes a seller must look at (GET /tinyerp/orders?needsAttention=true), all sellers.");
      lines.push("# TYPE autoecom_tiny_order_pushes_needing_attention gauge");
      lines.push(`autoecom_tiny_order_pushes_needing_attention ${attention}`);
      up.database = 1;
    } catch (error) {
      deps.log.warn("metrics: webhook event counts unavailable", errorFields(error));
    }

    lines.push("# TYPE autoecom_metrics_source_up gauge");
    for (const [source, value] of Object.entries(up)) lines.push(`autoecom_metrics_source_up${formatLabels({ source })} ${value}`);
    lines.push(deps.metrics.render());
    return c.body(`${lines.join("\n")}\n`, 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  });
}
