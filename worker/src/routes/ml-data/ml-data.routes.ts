import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, jsonBody, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import {
  AccountIdParams,
  AnswerBody,
  ClaimListQuery,
  ClaimPageSchema,
  LabelQuery,
  ListingDetailSchema,
  ListingGetQuery,
  ListingListQuery,
  ListingPageSchema,
  ListingParams,
  OrderDetailSchema,
  OrderListQuery,
  OrderPageSchema,
  OrderParams,
  QuestionListQuery,
  QuestionPageSchema,
  QuestionParams,
  QuestionSchema,
  RunIdParams,
  ShipmentGetQuery,
  ShipmentParams,
  ShipmentSchema,
  SyncConflictSchema,
  SyncRequest,
  SyncRunSchema,
  SyncStartedSchema,
} from "./ml-data.schemas";

const tags = ["mercadolibre data"];
const authenticated = { tags, security: [{ bearerAuth: [] }], middleware: requireAuth };
const notYours = (what: string) => problem(`No such ${what} (also for another user's)`);
const mlFailed = {
  502: problem("MercadoLibre answered with an error"),
  503: problem("MercadoLibre unavailable or not configured; see Retry-After"),
};

export const startSyncRoute = createRoute({
  ...authenticated,
  method: "post",
  path: "/ml/accounts/{id}/sync",
  summary: "Start a sync of an account's MercadoLibre data",
  description:
    "Creates a run and hands it to the jobs container. At most one run per account and kind is live (all overlaps listings and orders): " +
    "a second request answers 409 with the live run's id. Follow progress at GET /ml/sync/runs/{id}.",
  request: { params: AccountIdParams, body: jsonBody(SyncRequest) },
  responses: {
    202: jsonResponse(SyncStartedSchema, "Run queued"),
    404: notYours("account"),
    409: {
      description: "A run of this kind is already queued or running (runId names it), or the account must be reconnected",
      content: { "application/problem+json": { schema: SyncConflictSchema } },
    },
    503: problem("The run could not be queued"),
    ...authErrorResponses,
  },
});

export const syncRunRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/sync/runs/{id}",
  summary: "A sync run's progress: status, phase, percent, counts, ML calls, errors",
  request: { params: RunIdParams },
  responses: { 200: jsonResponse(SyncRunSchema, "The run"), 404: notYours("run"), ...authErrorResponses },
});

export const listListingsRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/listings",
  summary: "Your listings, from the database",
  description: "Keyset pagination: pass nextCursor as cursor (with the same sort). Pages stay stable while rows change.",
  request: { query: ListingListQuery },
  responses: { 200: jsonResponse(ListingPageSchema, "A page of listings"), 404: notYours("account"), ...authErrorResponses },
});

export const getListingRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/listings/{id}",
  summary: "One listing with its variations (refresh=true reads it from ML first)",
  request: { params: ListingParams, query: ListingGetQuery },
  responses: { 200: jsonResponse(ListingDetailSchema, "The listing"), 404: notYours("listing"), ...mlFailed, ...authErrorResponses },
});

export const listOrdersRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/orders",
  summary: "Your orders, newest first, from the database",
  request: { query: OrderListQuery },
  responses: { 200: jsonResponse(OrderPageSchema, "A page of orders"), 404: notYours("account"), ...authErrorResponses },
});

export const getOrderRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/orders/{id}",
  summary: "One order with its items, payments and shipment",
  request: { params: OrderParams },
  responses: { 200: jsonResponse(OrderDetailSchema, "The order"), 404: notYours("order"), ...authErrorResponses },
});

export const listQuestionsRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/questions",
  summary: "Buyer questions, unanswered first, then newest first",
  request: { query: QuestionListQuery },
  responses: { 200: jsonResponse(QuestionPageSchema, "A page of questions"), 404: notYours("account"), ...authErrorResponses },
});

export const answerQuestionRoute = createRoute({
  ...authenticated,
  method: "post",
  path: "/ml/questions/{id}/answer",
  summary: "Answer a question on MercadoLibre (at most 2,000 characters) and store the result",
  request: { params: QuestionParams, body: jsonBody(AnswerBody) },
  responses: {
    200: jsonResponse(QuestionSchema, "The question, answered"),
    404: notYours("question"),
    409: problem("ML refused: the question is no longer unanswered"),
    ...mlFailed,
    ...authErrorResponses,
  },
});

export const listClaimsRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/claims",
  summary: "Claims against your sales, newest first",
  request: { query: ClaimListQuery },
  responses: { 200: jsonResponse(ClaimPageSchema, "A page of claims"), 404: notYours("account"), ...authErrorResponses },
});

export const getShipmentRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/shipments/{id}",
  summary: "A shipment (by ML shipment id): status, tracking, label availability",
  description: "From the database; read from ML and stored when one of your orders names it but it is not stored yet, or with refresh=true.",
  request: { params: ShipmentParams, query: ShipmentGetQuery },
  responses: { 200: jsonResponse(ShipmentSchema, "The shipment"), 404: notYours("shipment"), ...mlFailed, ...authErrorResponses },
});

export const shipmentLabelRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/ml/shipments/{id}/label",
  summary: "The shipping label from ML, passed through (PDF, or ML's ZIP with the ZPL)",
  description: "Downloading marks the shipment printed at ML.",
  request: { params: ShipmentParams, query: LabelQuery },
  responses: {
    200: { description: "The label", content: { "application/pdf": { schema: { type: "string", format: "binary" } }, "application/zip": { schema: { type: "string", format: "binary" } } } },
    404: notYours("shipment"),
    409: problem("No printable label (not ready_to_ship / ready_to_print, or not an ME2 drop-off/cross-docking shipment)"),
    ...mlFailed,
    ...authErrorResponses,
  },
});
