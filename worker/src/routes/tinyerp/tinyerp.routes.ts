import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, errorResponses, jsonBody, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import {
  AccountIdParams,
  CallbackQuery,
  CompleteBody,
  ConnectResponse,
  EventsQuery,
  InventoryQuery,
  InventorySchema,
  LinksQuery,
  ProductLinksPageSchema,
  ProductsQuery,
  PutLinksBody,
  PutLinksResponse,
  TinyAccountEventListSchema,
  TinyAccountListSchema,
  TinyAccountSchema,
  TinyProductPageSchema,
} from "./tinyerp.schemas";

const tags = ["tinyerp"];
const authenticated = { tags, security: [{ bearerAuth: [] }], middleware: requireAuth };
const notConfigured = problem("The Tiny ERP integration is not configured on this server");
const noSuchAccount = problem("No such Tiny account (also for another user's account)");
const tinyErrors = {
  409: problem("The Tiny account must be reconnected (reauth_required)"),
  429: problem("Tiny's request quota for the company is used up; see Retry-After"),
  502: problem("Tiny answered with an error (its message is included)"),
  503: problem("Tiny unavailable, or the integration is not configured"),
};

export const connectRoute = createRoute({
  ...authenticated,
  method: "post",
  path: "/tinyerp/auth/connect",
  summary: "Start connecting a Tiny ERP company (OAuth2, API v3)",
  description: "Creates a one-time state bound to you (expiring) and a PKCE S256 verifier, and returns Tiny's authorization URL.",
  responses: { 200: jsonResponse(ConnectResponse, "Where to send the user"), 503: notConfigured, ...authErrorResponses },
});

export const callbackRoute = createRoute({
  method: "get",
  path: "/tinyerp/auth/callback",
  tags,
  summary: "Tiny's OAuth redirect target",
  description:
    "Consumes the state and stores nothing: whoever is at this browser may not be the user who started the flow. The code is parked " +
    "under a one-time grant (5 minutes) and the browser redirected to TINY_DASHBOARD_URL with tiny_connect=pending&grant=<grant>, for " +
    "POST /tinyerp/auth/complete; or with tiny_connect=error&error=<code>&status=<http status>&message=<our fixed text> " +
    "(codes: invalid_state, access_denied, authorization_failed). Tiny's own error text is never passed on.",
  request: { query: CallbackQuery },
  responses: { 302: { description: "Redirect to the dashboard with the grant or the error outcome" }, 503: notConfigured, ...errorResponses },
});

export const completeConnectRoute = createRoute({
  ...authenticated,
  method: "post",
  path: "/tinyerp/auth/complete",
  summary: "Complete a connection with the grant from the dashboard URL",
  description:
    "Only the user who started the flow (POST /tinyerp/auth/connect) can complete it. Spends the grant, exchanges Tiny's code (with the PKCE " +
    "verifier; Tiny's code itself lives 60 s, so complete at once), reads GET /info (company name and CNPJ) and stores the account with " +
    "encrypted tokens. 201 for a new company, 200 for a reconnected one.",
  request: { body: jsonBody(CompleteBody) },
  responses: {
    ...authErrorResponses,
    200: jsonResponse(TinyAccountSchema, "Reconnected: the account"),
    201: jsonResponse(TinyAccountSchema, "Connected: the new account"),
    400: problem("Invalid input, or a grant that is unknown, expired or already used (errors[].code unknown_or_used) or whose code Tiny rejected (code_rejected): start again"),
    403: problem("The flow was started by another user; the grant is spent and nothing is stored"),
    409: problem("The same company was being connected by another request at that moment; start again"),
    502: problem("Tiny failed during the exchange or did not identify the company; start again"),
    503: notConfigured,
  },
});

export const listAccountsRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/accounts",
  summary: "Your connected Tiny companies (never tokens); reauth_required and its reason are shown here",
  responses: { 200: jsonResponse(TinyAccountListSchema, "Accounts"), ...authErrorResponses },
});

export const accountEventsRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/accounts/{id}/events",
  summary: "What happened to a connection (connects, refresh failures, reauthorization needed), newest first",
  request: { params: AccountIdParams, query: EventsQuery },
  responses: { 200: jsonResponse(TinyAccountEventListSchema, "Events"), 404: noSuchAccount, ...authErrorResponses },
});

export const deleteAccountRoute = createRoute({
  ...authenticated,
  method: "delete",
  path: "/tinyerp/accounts/{id}",
  summary: "Disconnect a Tiny company",
  description: "Deletes its tokens at once and stops its scheduled work. Product links are kept for a later reconnect of the same company.",
  request: { params: AccountIdParams },
  responses: { 204: { description: "Disconnected" }, 404: noSuchAccount, ...authErrorResponses },
});

export const productsRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/products",
  summary: "One page of the Tiny catalogue, live (one Tiny read)",
  request: { query: ProductsQuery },
  responses: { 200: jsonResponse(TinyProductPageSchema, "Products"), 404: noSuchAccount, ...tinyErrors, ...authErrorResponses },
});

export const getLinksRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/product-links",
  summary: "Which Tiny product each ML listing/variation is, and which have none yet",
  request: { query: LinksQuery },
  responses: { 200: jsonResponse(ProductLinksPageSchema, "Links and unlinked listings"), 404: noSuchAccount, ...authErrorResponses },
});

export const putLinksRoute = createRoute({
  ...authenticated,
  method: "put",
  path: "/tinyerp/product-links",
  summary: "Correct links (set or remove); all or nothing",
  description:
    "Each change names an ML listing (and variation) of yours and a product of one of your Tiny accounts, or tinyProductId null to remove the link. " +
    "Manual links are never overwritten by the SKU sync.",
  request: { body: jsonBody(PutLinksBody) },
  responses: { 200: jsonResponse(PutLinksResponse, "What changed"), ...tinyErrors, ...authErrorResponses },
});

export const inventoryRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/inventory",
  summary: "Stock per product and deposit: live from Tiny for named products, else the stock sync's last reads",
  request: { query: InventoryQuery },
  responses: { 200: jsonResponse(InventorySchema, "Stock"), 404: problem("No such account or product"), ...tinyErrors, ...authErrorResponses },
});
