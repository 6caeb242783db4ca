import { AppError, fieldErrorsFromIssues } from "#core/errors";
import { mlNotificationKey, mlNotificationWire, type MlNotification } from "#core/jobs/ml-notification";
import { isMlHandledTopic } from "#core/jobs/ml-topics";
import { isConnectedMlUser } from "#db/queries/webhooks";
import type { Services } from ".";
import { publishJobMessage } from "./publish-job";
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
  /** The handler's own work, between and around the waits below. */
  handlerMs: number;
  /** Until the per-source rate limit (Upstash) answered; the body is read meanwhile. */
  limitMs: number;
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

const encoder = new TextEncoder();
const hex = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Deterministic per notification, so ML's retries and our own re-publishes collapse in QStash for its 10-minute window. */
async function deduplicationId(notification: MlNotification): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(mlNotificationKey(notification))));
  let id = "mlwh-";
  for (let i = 0; i < 20; i++) id += hex[digest[i]!];
  return id;
}

// The configuration lives as long as the isolate; the set is built once per configuration, not per notification.
const allowlists = new WeakMap<Services["config"], Set<string> | null>();

export function allowedIps(config: Services["config"]): Set<string> | null {
  let allowed = allowlists.get(config);
  if (allowed === undefined) {
    allowed = config.WEBHOOK_IP_ALLOWLIST.length === 0 ? null : new Set(config.WEBHOOK_IP_ALLOWLIST.flatMap((entry) => (entry === "ml" ? mlSourceIps : [entry])));
    allowlists.set(config, allowed);
  }
  return allowed;
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

/** A UTF-16 code unit is at most 3 UTF-8 bytes, so short bodies need no encoding to be measured. */
function byteLengthOver(body: string, max: number): boolean {
  return body.length * 3 > max && encoder.encode(body).byteLength > max;
}

/** Size, signature, parse and validation: everything about the body that needs no network, as one step. */
async function readNotification(services: Services, request: IngestRequest): Promise<MlNotification> {
  const { config } = services;
  if (byteLengthOver(request.body, config.WEBHOOK_MAX_BODY_BYTES)) {
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
  return parsed.data;
}

const settle = <T>(work: Promise<T>) =>
  work.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

export async function ingestMlNotification(services: Services, request: IngestRequest): Promise<IngestResult> {
  const started = performance.now();
  const { config } = services;

  const allowlist = allowedIps(config);
  if (allowlist && (!request.clientIp || !allowlist.has(request.clientIp))) {
    throw new AppError("forbidden", "This address may not post notifications.");
  }
  // The body is read while Upstash counts this request, but nothing that costs more than this
  // isolate's CPU (the account check, the publish) starts before the limit allows it, and the
  // limit's 429 comes before any verdict on the body, as when the two ran one after the other.
  const limit = settle(limitWebhookSource(services, "ml", request.clientIp));
  const body = await settle(readNotification(services, request).then(async (notification) => ({ notification, deduplicationId: await deduplicationId(notification) })));
  const limited = await limit;
  const timings: Timings = { handlerMs: 0, limitMs: performance.now() - started, accountLookupMs: 0, publishMs: 0 };
  if (!limited.ok) throw limited.error;
  if (!body.ok) throw body.error;
  const { notification } = body.value;

  const finish = <T extends IngestResult>(result: T): T => {
    timings.handlerMs = performance.now() - started - timings.limitMs - timings.accountLookupMs - timings.publishMs;
    return result;
  };

  if (notification.applicationId !== config.ML_APP_ID) return finish({ status: "dropped", reason: "foreign_app", timings });
  if (!isMlHandledTopic(notification.topic)) return finish({ status: "dropped", reason: "unhandled_topic", timings });

  const lookupStarted = performance.now();
  const ours = await isOurSeller(services, notification.userId);
  timings.accountLookupMs = performance.now() - lookupStarted;
  if (!ours) return finish({ status: "dropped", reason: "unknown_account", timings });

  const publishStarted = performance.now();
  const published = await publishJobMessage(services, "ml.webhook", notification, request.traceId, {
    // Byte for byte what ML sent: the ingress parses it with the same tolerant schema into `notification`.
    body: request.body,
    deduplicationId: body.value.deduplicationId,
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
