import { z } from "zod";
import { randomToken, sha256Hex } from "#core/crypto";
import { AppError, fieldErrorsFromIssues } from "#core/errors";
import { tinyWebhookPayload } from "#core/jobs/tiny-jobs";
import { insertTinyAccountEvent } from "#db/queries/tiny";
import { clearTinyWebhookSecret, findOwnTinyAccountAnyStatus, findTinyAccountByWebhookSecretHash, setTinyWebhookSecret, type TinyWebhookTarget } from "#db/queries/tiny-account-settings";
import { apiPublicUrl } from "../env";
import type { Principal } from "../lib/types";
import { publishJob } from "./publish-job";
import { disconnectedAccountError } from "#domain/accounts/tiny-account";
import { configurableAccount } from "./tinyerp";
import { limitWebhookSource } from "./webhooks";
import type { Services } from ".";

/**
 * Tiny webhooks (docs/tiny-webhooks.md). Tiny signs nothing and sends no event id, so the URL
 * carries a per-account secret — the URL is the credential — and the envelope's `cnpj` must be
 * the account's. Tiny retries a non-200 ten times, 5 minutes further apart each time: the edge
 * answers 200 only once QStash holds the event, and 503 when it could not hand it over.
 */

/** 256 random bits, base64url: 43 characters. */
const secretPattern = /^[A-Za-z0-9_-]{43}$/;

const webhookPath = (secret: string) => `/webhooks/tinyerp/${secret}`;

/**
 * Tiny's envelope ({versao, cnpj, tipo, dados}). Keys beyond those four are let through: the
 * e-commerce integration variant adds `idEcommerce`, and refusing it would only make Tiny retry.
 */
export const tinyWebhookEnvelope = z.object({
  versao: z.string().min(1).max(16),
  cnpj: z.string().min(1).max(32),
  tipo: tinyWebhookPayload.shape.tipo,
  dados: tinyWebhookPayload.shape.dados,
});

type IgnoredReason = "ping" | "reauth_required" | "disconnected";

export interface Timings {
  accountLookupMs: number;
  publishMs: number;
}

export type TinyWebhookResult = ({ status: "accepted"; messageId: string } | { status: "ignored"; reason: IgnoredReason }) & { timings: Timings };

/** The account a webhook URL names, or a 404 that says nothing about why. */
async function webhookTarget(services: Services, secret: string, timings: Timings): Promise<TinyWebhookTarget> {
  const started = performance.now();
  // A malformed secret can name no account: no query for it.
  const target = secretPattern.test(secret) ? await findTinyAccountByWebhookSecretHash(services.db, await sha256Hex(secret)) : undefined;
  timings.accountLookupMs = performance.now() - started;
  if (!target) throw new AppError("not_found", "No such webhook URL.");
  return target;
}

/** GET/HEAD/OPTIONS: Tiny's panel checks the URL this way when the seller saves it. */
export async function probeTinyWebhook(services: Services, request: { secret: string; clientIp: string | null }): Promise<Timings> {
  const timings: Timings = { accountLookupMs: 0, publishMs: 0 };
  await limitWebhookSource(services, "tiny", request.clientIp);
  await webhookTarget(services, request.secret, timings);
  return timings;
}

const isEmptyObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;

export async function ingestTinyWebhook(services: Services, request: { secret: string; body: string; traceId: string; clientIp: string | null }): Promise<TinyWebhookResult> {
  const receivedAt = services.now().getTime();
  const timings: Timings = { accountLookupMs: 0, publishMs: 0 };
  await limitWebhookSource(services, "tiny", request.clientIp);
  const account = await webhookTarget(services, request.secret, timings);
  const log = services.logger.child({ tinyAccountId: account.id });

  let json: unknown = {};
  if (request.body.trim() !== "") {
    try {
      json = JSON.parse(request.body);
    } catch {
      throw new AppError("bad_request", "The body is not valid JSON.", { fields: [{ path: "body", message: "must be a JSON object", code: "invalid_json" }] });
    }
  }
  // The panel may POST nothing (or {}) to check the URL; that is not an event.
  if (isEmptyObject(json)) {
    log.info("tiny webhook ping");
    return { status: "ignored", reason: "ping", timings };
  }
  const parsed = tinyWebhookEnvelope.safeParse(json);
  if (!parsed.success) {
    throw new AppError("validation_failed", "The webhook is not a Tiny event; see errors for each field.", { fields: fieldErrorsFromIssues("body", parsed.error.issues) });
  }
  const event = parsed.data;
  if (event.cnpj.replace(/\D/g, "") !== account.cnpj) {
    // The URL leaked to, or was pasted into, another company's panel: its events are not this account's.
    log.warn("tiny webhook for another company refused", { tipo: event.tipo });
    throw new AppError("forbidden", "This webhook URL belongs to another company (cnpj does not match).", {
      fields: [{ path: "body.cnpj", message: "is not the CNPJ of the account this URL belongs to", code: "mismatch" }],
    });
  }
  if (account.status !== "active") {
    // Answered 200 so Tiny does not retry for hours (or drop the URL): nothing can act on the
    // event until the seller reconnects, and the stock poll catches up after that.
    log.info("tiny webhook ignored: account not active", { status: account.status, tipo: event.tipo });
    return { status: "ignored", reason: account.status, timings };
  }

  const publishStarted = performance.now();
  const published = await publishJob(services, "tinyerp.webhook", { accountId: account.id, tipo: event.tipo, dados: event.dados, receivedAt }, request.traceId);
  timings.publishMs = performance.now() - publishStarted;
  log.info("tiny webhook accepted", { tipo: event.tipo, messageId: published.messageId });
  return { status: "accepted", messageId: published.messageId, timings };
}

/**
 * Makes the account's webhook URL, replacing any earlier one (which stops working at once).
 * Only the secret's hash is stored, so this answer is the only time the URL is ever shown.
 */
export async function createWebhookUrl(services: Services, principal: Principal, accountId: string): Promise<{ url: string; createdAt: Date }> {
  const base = apiPublicUrl(services.config);
  if (!base) throw new AppError("unavailable", "This server has no API_PUBLIC_URL, so it cannot make webhook URLs.", { retryable: false });
  const account = await configurableAccount(services, principal, accountId);
  const secret = randomToken(32);
  const now = services.now();
  if (!(await setTinyWebhookSecret(services.db, account.id, await sha256Hex(secret), now))) throw disconnectedAccountError();
  const rotated = account.webhookSecretCreatedAt !== null;
  await insertTinyAccountEvent(services.db, {
    accountId: account.id,
    type: rotated ? "webhook_rotated" : "webhook_created",
    message: rotated ? "Webhook URL replaced; the previous one no longer works." : "Webhook URL created.",
    now,
  });
  services.logger.info("tiny webhook url made", { accountId: account.id, rotated });
  return { url: `${base}${webhookPath(secret)}`, createdAt: now };
}

/** Allowed in any status: revoking a URL must never wait for a reconnect. */
export async function removeWebhookUrl(services: Services, principal: Principal, accountId: string): Promise<void> {
  const account = await findOwnTinyAccountAnyStatus(services.db, principal.userId, accountId);
  if (!account) throw new AppError("not_found", "No such Tiny ERP account.");
  const now = services.now();
  if (!(await clearTinyWebhookSecret(services.db, account.id, now))) return;
  await insertTinyAccountEvent(services.db, { accountId: account.id, type: "webhook_removed", message: "Webhook URL removed; Tiny's calls to it now get 404.", now });
  services.logger.info("tiny webhook url removed", { accountId: account.id });
}
