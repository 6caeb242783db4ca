import type { MlNotification } from "#core/jobs/ml-notification";

import { errorFields, type Logger } from "#core/log";
import { withTimeout } from "#core/timeout";
import type { NodeDb } from "#db/client-node";
import { recordEnqueuedMany, type EnqueuedMeta, type NotificationFacts } from "#db/queries/webhooks";
import type { QstashIngressDeps } from "./qstash";
import { notificationFacts } from "../processors/mercadolibre/webhook/facts";

// The job is already durable; a slow database must not hold QStash's delivery open for long.
const recordTimeoutMs = 1_000;
// One statement's worth of rows: bounded so a backlog becomes several inserts, not one huge one.
const maxRowsPerInsert = 500;

interface Pending {
  entry: { facts: NotificationFacts; meta: EnqueuedMeta };
  settle: (error?: unknown) => void;
}

/**
 * Group commit: while one insert is in flight, the deliveries that arrive meanwhile wait and go
 * into the next insert together. Under a burst that is one statement and one commit per batch
 * instead of per delivery; a lone delivery waits for nothing. Nothing outlives its delivery's
 * response, so several containers need no coordination.
 */
function groupInserts(db: NodeDb) {
  const pending: Pending[] = [];
  let writing = false;
  const drain = async () => {
    writing = true;
    while (pending.length > 0) {
      const batch = pending.splice(0, maxRowsPerInsert);
      try {
        await recordEnqueuedMany(
          db,
          batch.map((p) => p.entry),
        );
        for (const p of batch) p.settle();
      } catch (error) {
        for (const p of batch) p.settle(error);
      }
    }
    writing = false;
  };
  return (entry: Pending["entry"]) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ entry, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      if (!writing) void drain();
    });
}

/**
 * Makes an accepted ML notification visible as an `enqueued` webhook event, carrying the
 * trace id the Worker forwarded (the ingress request id is the Worker's X-Request-Id). When
 * this write fails the processor creates the row on its first run, so nothing is lost.
 */
export function recordIngress(db: NodeDb, log: Logger): NonNullable<QstashIngressDeps["onEnqueued"]> {
  const record = groupInserts(db);
  return async ({ jobName, payload, result, traceId }) => {
    if (jobName !== "ml.webhook" || result.deduplicated) return;
    const notification = payload as MlNotification;
    try {
      await withTimeout(record({ facts: notificationFacts(notification), meta: { jobId: result.jobId, traceId, source: "webhook", at: new Date() } }), recordTimeoutMs, "webhook event insert");
    } catch (error) {
      log.warn("webhook event not recorded at ingress; the processor will create it", errorFields(error));
    }
  };
}
