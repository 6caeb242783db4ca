import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, jsonBody, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import { InventorySyncBody, InventorySyncStartedSchema } from "./inventory-sync.schemas";

export const inventorySyncRoute = createRoute({
  tags: ["tinyerp"],
  security: [{ bearerAuth: [] }],
  middleware: requireAuth,
  method: "post",
  path: "/tinyerp/inventory/sync",
  summary: "Push Tiny stock to the linked ML listings and variations now",
  description:
    "Queues the tinyerp.stock.sync job (trigger api) for some or all linked products of one account: it re-reads each product's stock from Tiny " +
    "(the source of truth) and updates every ML listing or variation linked to it. Nothing is queued when the request cannot lead anywhere: " +
    "an account without product links, or a named product without one, is a 422 with the products listed.",
  request: { body: jsonBody(InventorySyncBody) },
  responses: {
    202: jsonResponse(InventorySyncStartedSchema, "Queued"),
    404: problem("No such Tiny account (also for another user's account), or none connected"),
    409: problem("The account is not active (reconnect it first)"),
    422: problem("No product links to sync, or some productIds have none (errors lists them)"),
    503: problem("The sync could not be queued; retry later"),
    ...authErrorResponses,
  },
});
