import { createRoute } from "@hono/zod-openapi";
import { errorResponses, jsonResponse, problem } from "../../lib/openapi";
import { TinyWebhookAckSchema, TinyWebhookParams, TinyWebhookProbeSchema } from "./tinyerp.schemas";

const tags = ["webhooks"];
const unknownUrl = problem("No such webhook URL (never made, replaced or revoked)");
const flood = problem("Too many calls from this address (WEBHOOK_RATE_LIMIT_PER_MINUTE); see Retry-After");

export const tinyWebhookRoute = createRoute({
  tags,
  method: "post",
  path: "/webhooks/tinyerp/{secret}",
  summary: "Tiny ERP webhook callback",
  description:
    "Called by Tiny, not by users; the URL comes from POST /tinyerp/accounts/{id}/webhook and is the credential (Tiny signs nothing). The body " +
    "(schema TinyWebhookEnvelope) is parsed by the handler, since an empty body or {} is the panel's check (200, nothing queued). The envelope's " +
    "cnpj must be the account's (403 otherwise). Events for an account awaiting reauthorization or disconnected are answered 200 and not queued. " +
    "Otherwise 200 once the event is queued in QStash for the jobs container, 503 when it could not be (Tiny retries).",
  request: { params: TinyWebhookParams },
  responses: {
    200: jsonResponse(TinyWebhookAckSchema, "Queued, or deliberately not queued (reason)"),
    403: problem("The event's cnpj is not the account's"),
    404: unknownUrl,
    429: flood,
    503: problem("Could not be queued; Tiny retries"),
    ...errorResponses,
  },
});

const probe = {
  tags,
  path: "/webhooks/tinyerp/{secret}",
  request: { params: TinyWebhookParams },
  responses: {
    200: jsonResponse(TinyWebhookProbeSchema, "The URL is live"),
    404: unknownUrl,
    429: flood,
    503: problem("The rate limiter cannot be reached; see Retry-After"),
    ...errorResponses,
  },
} as const;

export const tinyWebhookProbeRoute = createRoute({
  ...probe,
  method: "get",
  summary: "Tiny panel's check of the webhook URL (HEAD is answered the same, without a body)",
});

export const tinyWebhookOptionsRoute = createRoute({
  ...probe,
  method: "options",
  summary: "Tiny panel's check of the webhook URL, by OPTIONS (not a CORS preflight: no browser calls this URL)",
});
