import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, errorResponses, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import { EventIdParams, EventListQuery, ReplaySchema, WebhookAckSchema, WebhookEventPageSchema } from "./webhooks.schemas";

const tags = ["webhooks"];

export const mlWebhookRoute = createRoute({
  tags,
  method: "post",
  path: "/webhooks/ml",
  summary: "MercadoLibre notification callback",
  description:
    "Called by MercadoLibre, not by users. Accepts ML's loose payload variants, answers 200 once the notification is queued in QStash " +
    "(or dropped because it is not ours), 400 for malformed bodies, 5xx when it could not be queued (ML retries). ML signs nothing; " +
    "an optional Mercado Pago-style x-signature is verified when configured. The body (schema MlNotification) is parsed by the " +
    "handler from the raw bytes, which are forwarded unchanged, so it is not declared for the router to validate.",
  responses: {
    200: jsonResponse(WebhookAckSchema, "Queued, or dropped as not ours"),
    401: problem("x-signature present and invalid"),
    403: problem("Source address not allowed (when the allowlist is on)"),
    429: problem("Too many notifications from this address (WEBHOOK_RATE_LIMIT_PER_MINUTE); see Retry-After"),
    503: problem("Could not be queued; ML retries"),
    ...errorResponses,
  },
});

const authed = { tags, security: [{ bearerAuth: [] }], middleware: requireAuth };

export const listEventsRoute = createRoute({
  ...authed,
  method: "get",
  path: "/webhooks/events",
  summary: "Your ML notifications and what happened to each",
  request: { query: EventListQuery },
  responses: { 200: jsonResponse(WebhookEventPageSchema, "Newest first; pass nextCursor as cursor for the next page"), ...authErrorResponses },
});

export const replayEventRoute = createRoute({
  ...authed,
  method: "post",
  path: "/webhooks/events/{id}/replay",
  summary: "Process a failed notification again",
  request: { params: EventIdParams },
  responses: {
    202: jsonResponse(ReplaySchema, "Queued again"),
    404: problem("No such event (or not yours)"),
    409: problem("The event is not failed"),
    503: problem("Could not be queued"),
    ...authErrorResponses,
  },
});
