import type { MlNotification } from "../../../core/jobs/ml-notification";

import { errorFields, type Logger } from "../../../core/log";
import { withTimeout } from "../../../core/timeout";
import type { NodeDb } from "../../../db/client-node";
import { recordEnqueued } from "../../../db/queries/webhooks";
import type { QstashIngressDeps } from "./qstash";
import { notificationFacts } from "../processors/mercadolibre/webhook/facts";

// The job is already durable; a slow database must not hold QStash's delivery open for long.
const recordTimeoutMs = 1_000;

/**
 * Makes an accepted ML notification visible as an `enqueued` webhook event, carrying the
 * trace id the Worker forwarded (the ingress request id is the Worker's X-Request-Id). When
 * this write fails the processor creates the row on its first run, so nothing is lost.
 */
export function recordIngress(db: NodeDb, log: Logger): NonNullable<QstashIngressDeps["onEnqueued"]> {
  return async ({ jobName, payload, result, traceId }) => {
    if (jobName !== "ml.webhook" || result.deduplicated) return;
    const notification = payload as MlNotification;
    try {
      await withTimeout(recordEnqueued(db, notificationFacts(notification), { jobId: result.jobId, traceId, source: "webhook", at: new Date() }), recordTimeoutMs, "webhook event insert");
    } catch (error) {
      log.warn("webhook event not recorded at ingress; the processor will create it", errorFields(error));
    }
  };
}
