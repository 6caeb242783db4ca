import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, jsonResponse, problem } from "../../lib/openapi";
import { LabelParams, LabelQuery, ShippingGroupPageSchema, ShippingGroupsQuery, TinyShippingLabelSchema } from "./shipping.schemas";
import { accountErrors, authenticated } from "./route-parts";

const upstream = {
  429: problem("Tiny's (or ML's) quota is used up; see Retry-After"),
  502: problem("Tiny or Mercado Livre answered with an error"),
  503: problem("Tiny or Mercado Livre unavailable, or the integration is not configured"),
};
const binary = { schema: { type: "string" as const, format: "binary" } };

export const shippingGroupsRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/shipping-groups",
  summary: "Tiny's shipping groups (expedições), one page, read live",
  request: { query: ShippingGroupsQuery },
  responses: {
    200: jsonResponse(ShippingGroupPageSchema, "A page of shipping groups, newest last (Tiny's order)"),
    ...accountErrors,
    ...upstream,
    ...authErrorResponses,
  },
});

export const shippingLabelRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/orders/{id}/shipping-label",
  summary: "The shipping label of a pushed order, from Mercado Envios or from its Tiny shipping group",
  description:
    "When Mercado Envios (ME2) carries the ML order, ML's label is streamed as it comes: application/pdf, or with format=zpl ML's application/zip " +
    "holding the ZPL file (x-label-source: mercado_envios; downloading marks the shipment printed at ML). Otherwise the seller ships it through Tiny: " +
    "the answer is JSON with the label links of the Tiny shipping group (expedição) that holds the order (x-label-source: tiny; format does not apply). " +
    "409 says what is missing: the order is not paid or is cancelled, the ML label is not released yet or no longer printable, Full ships it, " +
    "the order is not in Tiny, or no Tiny shipping group holds it yet.",
  request: { params: LabelParams, query: LabelQuery },
  responses: {
    200: {
      description: "The label: ML's file, or Tiny's links",
      content: { "application/pdf": binary, "application/zip": binary, "application/json": { schema: TinyShippingLabelSchema } },
    },
    404: problem("No such order push (also for another user's)"),
    409: problem("No label exists for the order yet (or any more); the detail says why"),
    ...upstream,
    ...authErrorResponses,
  },
});
