import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, errorResponses, jsonBody, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import { AccountIdParams, CallbackQuery, CompleteBody, DeleteQuery, EventsQuery, MlAccountEventListSchema, MlAccountListSchema, MlAccountSchema, StartQuery, StartResponse } from "./ml.schemas";

const tags = ["mercadolibre"];
const authenticated = { tags, security: [{ bearerAuth: [] }], middleware: requireAuth };
const notConfigured = problem("The MercadoLibre integration is not configured on this server");
const noSuchAccount = problem("No such account (also for another user's account)");

export const startConnectRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/auth/start",
  summary: "Start connecting a MercadoLibre seller account",
  description: "Creates a one-time state (10 minutes) bound to you and a PKCE S256 verifier, and returns ML's authorization URL for the site. " + "With redirect=true the answer is a 302 to that URL.",
  request: { query: StartQuery },
  responses: {
    200: jsonResponse(StartResponse, "Where to send the seller"),
    302: { description: "Redirect to ML's authorization page (redirect=true)" },
    503: notConfigured,
    ...authErrorResponses,
  },
});

export const callbackRoute = createRoute({
  method: "get",
  path: "/ml/auth/callback",
  tags,
  summary: "ML's OAuth redirect target",
  description:
    "Consumes the state and stores nothing: whoever is at this browser may not be the user who started the flow. The code is parked " +
    "under a one-time grant (5 minutes) and the browser redirected to the dashboard with ml_connect=pending&grant=<grant>, for " +
    "POST /ml/auth/complete; or with ml_connect=error&error=<code>&status=<http status>&message=<our fixed text> " +
    "(codes: invalid_state, access_denied, operator_user, authorization_failed). ML's own error text is never passed on.",
  request: { query: CallbackQuery },
  responses: {
    302: { description: "Redirect to the dashboard with the grant or the error outcome" },
    503: notConfigured,
    ...errorResponses,
  },
});

export const completeConnectRoute = createRoute({
  ...authenticated,
  method: "post",
  path: "/ml/auth/complete",
  summary: "Complete a connection with the grant from the dashboard URL",
  description:
    "Only the user who started the flow (GET /ml/auth/start) can complete it. Spends the grant, exchanges ML's code (with the PKCE verifier), " +
    "reads /users/me and creates or updates the account. 201 for a new account, 200 for a reconnected one.",
  request: { body: jsonBody(CompleteBody) },
  responses: {
    ...authErrorResponses,
    200: jsonResponse(MlAccountSchema, "Reconnected: the account"),
    201: jsonResponse(MlAccountSchema, "Connected: the new account"),
    400: problem("Invalid input, or a grant that is unknown, expired or already used (errors[].code unknown_or_used) or whose code ML rejected (code_rejected): start again"),
    403: problem("The flow was started by another user; the grant is spent and nothing is stored"),
    409: problem("This ML account is already connected to another AutoEcom user"),
    502: problem("ML failed during the code exchange or /users/me; start again"),
    503: problem("ML unavailable, or the integration is not configured"),
  },
});

export const listAccountsRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/accounts",
  summary: "Your connected MercadoLibre accounts (never tokens)",
  responses: { 200: jsonResponse(MlAccountListSchema, "Accounts"), ...authErrorResponses },
});

export const accountEventsRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/accounts/{id}/events",
  summary: "What happened to an account (connects, reauthorization needed, inactivity warnings), newest first",
  request: { params: AccountIdParams, query: EventsQuery },
  responses: { 200: jsonResponse(MlAccountEventListSchema, "Events"), 404: noSuchAccount, ...authErrorResponses },
});

export const deleteAccountRoute = createRoute({
  ...authenticated,
  method: "delete",
  path: "/ml/accounts/{id}",
  summary: "Disconnect an account",
  description:
    "Deletes its tokens and stops its scheduled work. By default the account row (status disconnected) and its synced data are kept; " +
    "purge=true deletes the row, its events and every record synced for it.",
  request: { params: AccountIdParams, query: DeleteQuery },
  responses: { 204: { description: "Disconnected" }, 404: noSuchAccount, ...authErrorResponses },
});

export const refreshAccountRoute = createRoute({
  ...authenticated,
  method: "post",
  path: "/ml/accounts/{id}/refresh",
  summary: "Refresh the account's access token now",
  description: "Concurrent refreshes of one account are serialised; callers that waited get the token the first one obtained.",
  request: { params: AccountIdParams },
  responses: {
    200: jsonResponse(MlAccountSchema, "The account after the refresh"),
    404: noSuchAccount,
    409: problem("The account must be reconnected (reauth_required) or is disconnected"),
    502: problem("MercadoLibre answered with an error"),
    503: problem("MercadoLibre unavailable or not configured; see Retry-After"),
    ...authErrorResponses,
  },
});
