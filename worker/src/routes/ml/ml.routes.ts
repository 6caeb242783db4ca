import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, errorResponses, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import {
  AccountIdParams,
  CallbackQuery,
  DeleteQuery,
  EventsQuery,
  MlAccountEventListSchema,
  MlAccountListSchema,
  MlAccountSchema,
  StartQuery,
  StartResponse,
} from "./ml.schemas";

const tags = ["mercadolibre"];
const authenticated = { tags, security: [{ bearerAuth: [] }], middleware: requireAuth };
const notConfigured = problem("The MercadoLibre integration is not configured on this server");
const noSuchAccount = problem("No such account (also for another user's account)");

export const startConnectRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/auth/start",
  summary: "Start connecting a MercadoLibre seller account",
  description:
    "Creates a one-time state (10 minutes) bound to you and a PKCE S256 verifier, and returns ML's authorization URL for the site. " +
    "With redirect=true the answer is a 302 to that URL.",
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
    "Consumes the state, exchanges the code (with the PKCE verifier), reads /users/me and creates or updates the account, then " +
    "redirects to the dashboard with ml_connect=connected|reconnected&account=<id>, or ml_connect=error&error=<code>&status=<http status>&message=... " +
    "(codes: invalid_state, access_denied, operator_user, authorization_failed, code_rejected, ml_account_taken (409), ml_unavailable).",
  request: { query: CallbackQuery },
  responses: {
    302: { description: "Redirect to the dashboard with the outcome" },
    503: notConfigured,
    ...errorResponses,
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
