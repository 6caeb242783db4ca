import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, jsonBody, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import { AccountSettingsBody, WebhookUrlSchema } from "./accounts-settings.schemas";
import { AccountIdParams, TinyAccountSchema } from "./tinyerp.schemas";

const tags = ["tinyerp"];
const authenticated = { tags, security: [{ bearerAuth: [] }], middleware: requireAuth };
const noSuchAccount = problem("No such Tiny account (also for another user's account)");
const disconnected = problem("The account is disconnected; reconnect it first");

export const accountSettingsRoute = createRoute({
  ...authenticated,
  method: "patch",
  path: "/tinyerp/accounts/{id}/settings",
  summary: "Change how the account is used: order forwarding, invoicing",
  description: "Only the fields sent change; at least one is required. Allowed while the account awaits reauthorization, since none of them calls Tiny.",
  request: { params: AccountIdParams, body: jsonBody(AccountSettingsBody) },
  responses: { 200: jsonResponse(TinyAccountSchema, "The account with its settings now in force"), 404: noSuchAccount, 409: disconnected, ...authErrorResponses },
});

export const createWebhookRoute = createRoute({
  ...authenticated,
  method: "post",
  path: "/tinyerp/accounts/{id}/webhook",
  summary: "Make (or replace) the account's Tiny webhook URL",
  description:
    "Tiny signs nothing, so the URL carries a random 256-bit secret and is itself the credential: only the secret's SHA-256 is stored, and this answer " +
    "is the only time the URL is shown. Calling it again makes a new URL and the previous one answers 404 at once. See docs/tiny-webhooks.md.",
  request: { params: AccountIdParams },
  responses: {
    201: jsonResponse(WebhookUrlSchema, "The URL to paste into Tiny's panel"),
    404: noSuchAccount,
    409: disconnected,
    503: problem("API_PUBLIC_URL is not configured on this server"),
    ...authErrorResponses,
  },
});

export const deleteWebhookRoute = createRoute({
  ...authenticated,
  method: "delete",
  path: "/tinyerp/accounts/{id}/webhook",
  summary: "Revoke the account's Tiny webhook URL",
  description: "Tiny's calls to the old URL then answer 404. Also allowed for a disconnected account; 204 whether or not a URL existed.",
  request: { params: AccountIdParams },
  responses: { 204: { description: "No webhook URL remains" }, 404: noSuchAccount, ...authErrorResponses },
});
