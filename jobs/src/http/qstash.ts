import { Receiver } from "@upstash/qstash";
import { Hono } from "hono";
import { idempotencyKeyOf, ingressSchema, isJobName, type JobName } from "#core/jobs/catalog";
import { AppError, fieldErrorsFromIssues } from "#core/errors";
import { errorFields, type Logger } from "#core/log";
import { enqueue, type EnqueueResult, type Producer } from "../queues/enqueue";
import type { AppEnv } from "./types";

export interface QstashIngressDeps {
  producer: Producer;
  /** JOBS_PUBLIC_URL: the signature's `sub` is the URL as published, never what the Host header says. */
  publicUrl: string;
  signingKeys: { currentSigningKey: string; nextSigningKey: string };
  log: Logger;
  /**
   * Runs after Redis accepted the job and before the 200 (e.g. the webhook event row). It must
   * not throw: the job is durable already, and a non-2xx would only make QStash resend it.
   */
  onEnqueued?: (delivery: { jobName: JobName; payload: unknown; result: EnqueueResult; traceId: string; log: Logger }) => Promise<void>;
}

// QStash and this host may disagree on the time by a few seconds.
const clockToleranceSeconds = 5;

/**
 * POST /qstash/:jobName — a QStash delivery becomes one BullMQ job.
 *
 * Order matters: the signature is checked on the raw bytes before anything else is trusted,
 * and 200 is only sent once Redis has accepted the job, because QStash forgets a message
 * after a 2xx. Every non-2xx answer (401, 404, 400, 503) is retried by QStash with its
 * backoff until the message's retries run out, then the message goes to QStash's DLQ.
 */
export function qstashRoutes(deps: QstashIngressDeps) {
  // devMode: false, or QSTASH_DEV in the environment would swap our keys for the public dev keys.
  const receiver = new Receiver({ ...deps.signingKeys, devMode: false });

  return new Hono<AppEnv>().post("/:jobName", async (c) => {
    const jobName = c.req.param("jobName");
    const signature = c.req.header("upstash-signature");
    const body = await c.req.text();
    const messageId = c.req.header("upstash-message-id");
    const log = deps.log.child({ requestId: c.get("requestId"), jobName, messageId, retried: c.req.header("upstash-retried") });

    if (!signature) throw new AppError("unauthorized", "Missing Upstash-Signature header.");
    try {
      await receiver.verify({ signature, body, url: `${deps.publicUrl}/qstash/${jobName}`, clockTolerance: clockToleranceSeconds });
    } catch (error) {
      log.warn("qstash signature rejected", errorFields(error));
      throw new AppError("unauthorized", "Invalid QStash signature.");
    }

    if (!isJobName(jobName)) throw new AppError("not_found", `Unknown job "${jobName}".`);

    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw new AppError("bad_request", "Body is not valid JSON.");
    }
    const parsed = ingressSchema(jobName).safeParse(json);
    if (!parsed.success) {
      log.warn("qstash payload invalid", { issues: parsed.error.issues.length });
      throw new AppError("validation_failed", `Invalid payload for job ${jobName}.`, {
        fields: fieldErrorsFromIssues("body", parsed.error.issues),
      });
    }

    // Without a key a redelivery could not be recognised, and QStash always sends the id.
    if (idempotencyKeyOf(jobName, parsed.data) === undefined && !messageId) {
      throw new AppError("bad_request", "Missing Upstash-Message-Id header.", {
        fields: [{ path: "headers.upstash-message-id", message: "required" }],
      });
    }

    const result = await enqueue(deps.producer, jobName, parsed.data, {
      ...(messageId ? { deduplicationId: `qstash|${messageId}` } : {}),
    });
    // The request log line already records each delivery at info; this adds the job id for debugging.
    log.debug("qstash delivery accepted", { jobId: result.jobId, deduplicated: result.deduplicated });
    await deps.onEnqueued?.({ jobName, payload: parsed.data, result, traceId: c.get("requestId"), log });
    return c.json(result, 200);
  });
}
