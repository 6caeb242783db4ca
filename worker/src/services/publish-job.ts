import { AppError } from "../../../core/errors";
import { idempotencyKeyOf, type JobName, type Payload } from "../../../core/jobs/catalog";
import { jobIdFor } from "../../../core/jobs/job-id";
import type { Services } from ".";

export interface PublishedJob {
  messageId: string;
  /** The BullMQ job id the jobs ingress will give it. */
  jobId: string;
}

/**
 * Hands a catalogued job to the jobs container through QStash (`POST /qstash/<name>`), as the
 * ML webhook edge does: no client-side retry, QStash retries the delivery. Any failure is a 503
 * with Retry-After, so the caller (Tiny, a dashboard) tries again rather than believing it queued.
 */
export async function publishJob<K extends JobName>(services: Services, name: K, payload: Payload<K>, traceId: string): Promise<PublishedJob> {
  const { config, qstash } = services;
  if (!qstash || !config.JOBS_PUBLIC_URL) throw new AppError("unavailable", "Work cannot be queued right now.", { retryAfterSeconds: 30 });
  let messageId: string;
  try {
    const published = await qstash.publish({
      url: `${config.JOBS_PUBLIC_URL.replace(/\/+$/, "")}/qstash/${name}`,
      body: JSON.stringify(payload),
      headers: { "content-type": "application/json", "x-request-id": traceId },
      retries: config.WEBHOOK_QSTASH_RETRIES,
    });
    messageId = published.messageId;
  } catch (error) {
    services.logger.warn("qstash publish failed", { job: name, error: (error as Error).message, traceId });
    throw new AppError("unavailable", "The work could not be queued; retry later.", { retryAfterSeconds: 5, cause: error });
  }
  // The ingress (jobs/src/http/qstash.ts) keys a job without an idempotency key by its QStash message id.
  const key = idempotencyKeyOf(name, payload) ?? `qstash|${messageId}`;
  return { messageId, jobId: await jobIdFor(name, key) };
}
