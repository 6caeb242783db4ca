import { AppError, fieldErrorsFromIssues } from "../../../core/errors";
import { mlNotificationKey, mlNotificationWire, type MlNotification } from "../../../core/jobs/ml-notification";
import { isMlHandledTopic } from "../../../core/jobs/ml-topics";
import { isConnectedMlUser } from "../../../db/queries/webhooks";
import type { Services } from ".";
import { publishJob } from "./publish-job";
import { enforceRateLimits } from "./rate-limit";
import { verifyMpSignature } from "./webhooks-signature";

/**
 * The edge half of the webhook pipeline: POST /webhooks/ml. ML disables a topic that is not
 * answered 200 within 500 ms, so this does the least that makes the hand-off safe — parse,
 * decide whether the notification is ours, publish to QStash — and nothing else. It answers
 * 200 only once QStash holds the message: a 200 without a durable hand-off would be a lost
 * order, while a 5xx only makes ML try again.
 */

/** ML's documented notification source addresses (mercadolibre-api.md §5.4); `ml` in the allowlist expands to these. */
export const mlSourceIps = ["54.88.218.97", "18.215.140.160", "18.213.114.129", "18.206.34.84", "35.236.253.169", "35.245.91.34", "35.245.20.104", "35.186.182.146"];

export type DropReason = "foreign_app" | "unhandled_topic" | "unknown_account";

export type IngestResult = { status: "accepted"; messageId: string; deduplicated: boolean; timings: Timings } | { status: "dropped"; reason: DropReason; timings: Timings };

export interface Timings {
  /** Everything but the QStash round trip (and the cache lookups' network time, reported separately). */
  handlerMs: number;
  accountLookupMs: number;
  publishMs: number;
}

export interface IngestRequest {
  body: string;
  headers: { get(name: string): string | null | undefined };
  query: Record<string, string | undefined>;
  clientIp: string | null;
  traceId: string;
}

/** Deterministic per notification, so ML's retries and our own re-publishes collapse in QStash for its 10-minute window. */
async function deduplicationId(notification: MlNotification): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(mlNotificationKey(notification)));
  return `mlwh-${Array.from(new Uint8Array(digest).subarray(0, 20), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export function allowedIps(config: Services["config"]): Set<string> | null {
  if (config.WEBHOOK_IP_ALLOWLIST.length === 0) return null;
  return new Set(config.WEBHOOK_IP_ALLOWLIST.flatMap((entry) => (entry === "ml" ? mlSourceIps : [entry])));
}

/**
 * Notifications are unsigned, so anyone can post them, and each one we accept costs a QStash
 * message, a job and a provider call. A flood from one address is refused with 429 (ML and Tiny
 * both retry later); the budget is per address, generous, as a provider sends from few of them.
 */
export async function limitWebhookSource(services: Services, provider: "ml" | "tiny", clientIp: string | null): Promise<void> {
  const rule = { name: `webhook-${provider}-source`, limit: services.config.WEBHOOK_RATE_LIMIT_PER_MINUTE, windowSeconds: 60 };
  await enforceRateLimits(services, [{ rule, subject: clientIp ?? "unknown" }]);
}

export async function ingestMlNotification(services: Services, request: IngestRequest): Promise<IngestResult> {
  const started = performance.now();
  const { config } = services;

  const allowlist = allowedIps(config);
  if (allowlist && (!request.clientIp || !allowlist.has(request.clientIp))) {
    throw new AppError("forbidden", "This address may not post notifications.");
  }
  await limitWebhookSource(services, "ml", request.clientIp);
  if (new TextEncoder().encode(request.body).byteLength > config.WEBHOOK_MAX_BODY_BYTES) {
    throw new AppError("payload_too_large", `A notification is at most ${config.WEBHOOK_MAX_BODY_BYTES} bytes.`);
  }

  // ML itself signs nothing; a Mercado Pago-style pair is verified when a secret is configured.
  const signature = request.headers.get("x-signature");
  if (signature && config.ML_WEBHOOK_SECRET) {
    const verdict = await verifyMpSignature({
      secret: config.ML_WEBHOOK_SECRET,
      signature,
      requestId: request.headers.get("x-request-id") ?? null,
      dataId: request.query["data.id"] ?? null,
      toleranceSeconds: config.WEBHOOK_SIGNATURE_TOLERANCE_SECONDS,
      now: services.now(),
    });
    if (!verdict.ok) throw new AppError("unauthorized", `Invalid x-signature: ${verdict.reason}.`);
  }

  let json: unknown;
  try {
    json = JSON.parse(request.body);
  } catch {
    throw new AppError("bad_request", "The body is not valid JSON.", { fields: [{ path: "body", message: "must be a JSON object", code: "invalid_json" }] });
  }
  const parsed = mlNotificationWire.safeParse(json);
  if (!parsed.success) {
    throw new AppError("validation_failed", "The notification is not valid; see errors for each field.", {
      fields: fieldErrorsFromIssues("body", parsed.error.issues),
    });
  }
  const notification = parsed.data;

  const timings: Timings = { handlerMs: 0, accountLookupMs: 0, publishMs: 0 };
  const finish = <T extends IngestResult>(result: T): T => {
    timings.handlerMs = performance.now() - started - timings.accountLookupMs - timings.publishMs;
    return result;
  };

  if (notification.applicationId !== config.ML_APP_ID) return finish({ status: "dropped", reason: "foreign_app", timings });
  if (!isMlHandledTopic(notification.topic)) return finish({ status: "dropped", reason: "unhandled_topic", timings });

  const lookupStarted = performance.now();
  const ours = await isOurSeller(services, notification.userId);
  timings.accountLookupMs = performance.now() - lookupStarted;
  if (!ours) return finish({ status: "dropped", reason: "unknown_account", timings });

  const publishStarted = performance.now();
  const published = await publishJob(services, "ml.webhook", notification, request.traceId, {
    // Byte for byte what ML sent: the ingress parses it with the same tolerant schema into `notification`.
    body: request.body,
    deduplicationId: await deduplicationId(notification),
    unavailable: "Notifications cannot be accepted right now.",
    failed: "The notification could not be queued; retry later.",
  });
  timings.publishMs = performance.now() - publishStarted;
  return finish({ status: "accepted", messageId: published.messageId, deduplicated: published.deduplicated, timings });
}

// Per isolate: most notifications come from a few sellers, so even Redis is skipped for them.
// Short, because a disconnect in another isolate cannot reach this map.
const isolateCacheMs = 15_000;
const isolateCache = new Map<string, { ours: boolean; until: number }>();

export const mlAccountCacheKey = (services: Pick<Services, "key">, mlUserId: string) => services.key("webhooks", "ml-user", mlUserId);

/**
 * Is this ML user one of our connected sellers? Isolate memory, then Redis, then (only on a
 * miss) the database, whose answer is cached: positive for WEBHOOK_ACCOUNT_CACHE_SECONDS,
 * negative for the shorter WEBHOOK_UNKNOWN_ACCOUNT_CACHE_SECONDS.
 */
export async function isOurSeller(services: Services, mlUserId: string): Promise<boolean> {
  const now = Date.now();
  const local = isolateCache.get(mlUserId);
  if (local && local.until > now) return local.ours;
  const key = mlAccountCacheKey(services, mlUserId);
  const remember = (ours: boolean, ttlSeconds: number) => isolateCache.set(mlUserId, { ours, until: now + Math.min(isolateCacheMs, ttlSeconds * 1000) });

  let cached: string | number | null = null;
  try {
    cached = await services.redis.get<string | number>(key);
  } catch (error) {
    // The cache is an optimisation: without it, ask the database rather than refuse ML.
    services.logger.warn("account cache unavailable", { error: (error as Error).message });
  }
  if (cached !== null) {
    const ours = String(cached) === "1";
    remember(ours, ours ? services.config.WEBHOOK_ACCOUNT_CACHE_SECONDS : services.config.WEBHOOK_UNKNOWN_ACCOUNT_CACHE_SECONDS);
    return ours;
  }
  const ours = await isConnectedMlUser(services.db, mlUserId);
  const ttl = ours ? services.config.WEBHOOK_ACCOUNT_CACHE_SECONDS : services.config.WEBHOOK_UNKNOWN_ACCOUNT_CACHE_SECONDS;
  remember(ours, ttl);
  await services.redis.set(key, ours ? "1" : "0", { ex: ttl }).catch(() => undefined);
  return ours;
}

/** For the account connect/disconnect flow: the next notification of this seller asks the database again. */
export async function forgetMlAccountCache(services: Pick<Services, "redis" | "key">, mlUserId: string): Promise<void> {
  isolateCache.delete(mlUserId);
  await services.redis.del(mlAccountCacheKey(services, mlUserId));
}

/** Counts what was dropped, per reason, without delaying the answer. */
export async function countDropped(services: Services, reason: DropReason): Promise<void> {
  try {
    await services.redis.incr(services.key("webhooks", "dropped", reason));
  } catch {
    // A lost increment of a statistic is not worth an error to ML.
  }
}
