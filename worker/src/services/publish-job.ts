import { AppError } from "#core/errors";
import { idempotencyKeyOf, type JobName, type Payload } from "#core/jobs/catalog";
import { jobIdFor } from "#core/jobs/job-id";
import type { Services } from ".";

export interface PublishedJob {
  messageId: string;
  /** The BullMQ job id the jobs ingress will give it. */
  jobId: string;
  /** QStash already held a message with this deduplication id; nothing new was queued. */
  deduplicated: boolean;
}

export interface PublishOptions {
  /** Collapses re-publishes of the same work in QStash (its deduplication window is 10 minutes). */
  deduplicationId?: string | undefined;
  /**
   * The exact bytes to send when they are not `payload` serialised: the ML edge forwards what ML
   * posted, and the ingress parses it with the catalog's wire schema into `payload`.
   */
  body?: string | undefined;
  /** The 503's detail when nothing can be published (QStash not configured); says what the caller asked for. */
  unavailable?: string | undefined;
  /** The 503's detail when QStash refused or could not be reached. */
  failed?: string | undefined;
}

/** The QStash client and the jobs' ingress URL, or the 503 a caller answers before it writes anything. */
export function requirePublisher(services: Services, unavailable = "Work cannot be queued right now.") {
  const { config, qstash } = services;
  if (!qstash || !config.JOBS_PUBLIC_URL) throw new AppError("unavailable", unavailable, { retryAfterSeconds: 30 });
  return { qstash, baseUrl: config.JOBS_PUBLIC_URL.replace(/\/+$/, "") };
}

/**
 * Hands a catalogued job to the jobs container through QStash (`POST /qstash/<name>`), the only
 * way the Worker queues work: no client-side retry, QStash retries the delivery. Any failure is a
 * 503 with Retry-After, so the caller (ML, Tiny, a dashboard) tries again rather than believing it
 * queued. A caller that wrote something first (a run row, a replay claim) undoes it when this throws.
 */
export async function publishJob<K extends JobName>(services: Services, name: K, payload: Payload<K>, traceId: string, options: PublishOptions = {}): Promise<PublishedJob> {
  // A job with an idempotency key has its id before QStash answers: hashed while the publish is in flight.
  const key = idempotencyKeyOf(name, payload);
  const keyedJobId = key === undefined ? undefined : jobIdFor(name, key);
  const published = await publishJobMessage(services, name, payload, traceId, options);
  // The ingress (jobs/src/http/qstash.ts) keys a job without an idempotency key by its QStash message id.
  return { ...published, jobId: await (keyedJobId ?? jobIdFor(name, `qstash|${published.messageId}`)) };
}

/**
 * `publishJob` without the job id, for a caller that never reads it: the ML webhook ack, on which
 * hashing it cost about 3 % of the Worker's CPU per notification (docs/benchmarks.md, webhook edge).
 */
export async function publishJobMessage<K extends JobName>(services: Services, name: K, payload: Payload<K>, traceId: string, options: PublishOptions = {}): Promise<Omit<PublishedJob, "jobId">> {
  const { qstash, baseUrl } = requirePublisher(services, options.unavailable);
  let published: { messageId: string; deduplicated?: boolean };
  try {
    published = await qstash.publish({
      url: `${baseUrl}/qstash/${name}`,
      body: options.body ?? JSON.stringify(payload),
      headers: { "content-type": "application/json", "x-request-id": traceId },
      ...(options.deduplicationId ? { deduplicationId: options.deduplicationId } : {}),
      retries: services.config.WEBHOOK_QSTASH_RETRIES,
    });
  } catch (error) {
    services.logger.warn("qstash publish failed", { job: name, error: (error as Error).message, traceId });
    throw new AppError("unavailable", options.failed ?? "The work could not be queued; retry later.", { retryAfterSeconds: 5, cause: error });
  }
  return { messageId: published.messageId, deduplicated: published.deduplicated ?? false };
}
