import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, jsonBody, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import { AccountParams, MlChannelBody, MlChannelSchema, OrderPushListQuery, OrderPushListSchema, OrderPushParams, OrderPushSchema, OrderPushViewSchema, PushOrderBody } from "./orders.schemas";

const tags = ["tinyerp"];
const authenticated = { tags, security: [{ bearerAuth: [] }], middleware: requireAuth };

export const pushOrderRoute = createRoute({
  ...authenticated,
  method: "post",
  path: "/tinyerp/orders",
  summary: "Push an ML order to Tiny ERP, exactly once",
  description:
    "Finds or creates the buyer's contact (CPF/CNPJ when known, else the ML buyer id as contact code), maps every item through its product link " +
    "(an unlinked item fails the push with the item listed; nothing is guessed), creates the order with the ML order id as the e-commerce order number " +
    "on the account's Mercado Livre channel, then adds the markers ml-<order id> and autoecom. When the ML order is paid it also posts the sale's stock " +
    "and receivables (and generates and emits the invoice when the account invoices on paid); when it is cancelled it cancels the Tiny order and " +
    "returns stock and receivables — each exactly once. Repeating it never creates a second Tiny order: " +
    "a created order answers at once without calling Tiny, and an order whose create outcome was lost is looked up before anything is sent again. " +
    "The answer is our record (status created, failed with reasons, or unknown); 202 when another push of the same order is running.",
  request: { body: jsonBody(PushOrderBody) },
  responses: {
    200: jsonResponse(OrderPushSchema, "The push record after this attempt"),
    202: jsonResponse(OrderPushSchema, "Another push of this order is in progress; its record as it stands"),
    404: problem("No such ML order or Tiny account (also for another user's)"),
    409: problem("The Tiny account must be reconnected"),
    429: problem("Tiny's quota for the company is used up"),
    502: problem("Tiny answered with an error"),
    503: problem("Tiny unavailable, or the integration is not configured"),
    ...authErrorResponses,
  },
});

export const listOrderPushesRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/orders",
  summary: "Order pushes, and the error list (needsAttention=true)",
  description:
    "The user's pushes, most recently changed first. needsAttention=true is the error list sellers work from: pushes that failed (with one reason per " +
    "problem, e.g. each unlinked item), whose create outcome is still unknown, or where Tiny refused a later step or the invoice. Fix the cause, then resend.",
  request: { query: OrderPushListQuery },
  responses: { 200: jsonResponse(OrderPushListSchema, "A page of pushes"), 404: problem("No such Tiny account (also for another user's)"), ...authErrorResponses },
});

export const resendOrderPushRoute = createRoute({
  ...authenticated,
  method: "post",
  path: "/tinyerp/orders/{id}/resend",
  summary: "Resend an order push after fixing what failed",
  description:
    "Clears a refused step or invoice and runs the push again, inline: a failed push is created (nothing was created in Tiny before), an unknown one is " +
    "looked up first, a created one does whatever it still owes (stock, invoice, receivables, cancellation). Never creates a second Tiny order.",
  request: { params: OrderPushParams },
  responses: {
    200: jsonResponse(OrderPushSchema, "The push record after this attempt"),
    202: jsonResponse(OrderPushSchema, "Another push of this order is in progress; its record as it stands"),
    404: problem("No such push (also for another user's)"),
    409: problem("The Tiny account must be reconnected"),
    429: problem("Tiny's quota for the company is used up"),
    502: problem("Tiny answered with an error"),
    503: problem("Tiny unavailable, or the integration is not configured"),
    ...authErrorResponses,
  },
});

export const getOrderPushRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/orders/{id}",
  summary: "An order push: our record and Tiny's live order status",
  request: { params: OrderPushParams },
  responses: { 200: jsonResponse(OrderPushViewSchema, "The push and Tiny's order"), 404: problem("No such push (also for another user's)"), ...authErrorResponses },
});

export const setMlChannelRoute = createRoute({
  ...authenticated,
  method: "put",
  path: "/tinyerp/accounts/{id}/ml-channel",
  summary: "Set the Tiny account's Mercado Livre channel, which order pushes need",
  description:
    "Tiny keeps an order's e-commerce number (our ML order id) only on orders that name the account's Mercado Livre channel, and that number is how a push " +
    "finds its order again after a lost answer. Tiny's API cannot list channels, so the seller gives the id; until then pushes fail with no_ml_channel " +
    "instead of risking a duplicate order.",
  request: { params: AccountParams, body: jsonBody(MlChannelBody) },
  responses: { 200: jsonResponse(MlChannelSchema, "The setting now in force"), 404: problem("No such Tiny account (also for another user's)"), ...authErrorResponses },
});
