import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, jsonResponse, problem } from "../../lib/openapi";
import { OrderParams, OrderReceivablesSchema, ReceivablePageSchema, ReceivablesQuery } from "./finance.schemas";
import { accountErrors, authenticated, tinyErrors } from "./route-parts";

export const receivablesRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/receivables",
  summary: "Tiny's receivables (contas a receber), one page, read live",
  request: { query: ReceivablesQuery },
  responses: {
    200: jsonResponse(ReceivablePageSchema, "A page of receivables"),
    ...accountErrors,
    ...tinyErrors,
    ...authErrorResponses,
  },
});

export const orderReceivablesRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/orders/{id}/receivables",
  summary: "The receivables Tiny holds for a pushed order, with balance and payment",
  description:
    "Found by Tiny's idVenda filter (posted from the order with lancar-contas), else by idNota (posted from its invoice); every hit must bill the " +
    "order's customer. An order in Tiny with nothing posted yet answers 200 with no items and matchedBy null.",
  request: { params: OrderParams },
  responses: {
    200: jsonResponse(OrderReceivablesSchema, "The order's receivables"),
    404: problem("No such order push (also for another user's)"),
    409: problem("The order is not in Tiny (so it has no receivables), or the account must be reconnected"),
    ...tinyErrors,
    ...authErrorResponses,
  },
});
