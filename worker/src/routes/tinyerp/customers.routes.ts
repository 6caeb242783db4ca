import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, jsonBody, jsonResponse, problem } from "../../lib/openapi";
import { BuyerParams, BuyerQuery, CustomerPageSchema, CustomersQuery, MlCustomerSchema, SyncBody, SyncResultSchema } from "./customers.schemas";
import { accountErrors, authenticated, tinyErrors } from "./route-parts";

export const customersRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/customers",
  summary: "Tiny's contacts, one page, read live; each marked with the ML buyer it stands for when it is one of yours",
  request: { query: CustomersQuery },
  responses: {
    200: jsonResponse(CustomerPageSchema, "A page of contacts"),
    ...accountErrors,
    ...tinyErrors,
    ...authErrorResponses,
  },
});

export const mlCustomerRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/customers/ml/{buyerId}",
  summary: "An ML buyer as your orders know them, and the Tiny contact it maps to",
  description: "The contact is looked up by the buyer's CPF/CNPJ when ML's billing info gave one, then by the code ML-<buyer id> that order pushes give the contacts they create.",
  request: { params: BuyerParams, query: BuyerQuery },
  responses: {
    200: jsonResponse(MlCustomerSchema, "The buyer and its Tiny contact (null when there is none yet)"),
    404: problem("No order of yours from this buyer, or no such Tiny account"),
    ...authErrorResponses,
  },
});

export const syncCustomerRoute = createRoute({
  ...authenticated,
  method: "post",
  path: "/tinyerp/customers/sync",
  summary: "Create or update the ML buyer's Tiny contact (idempotent)",
  description:
    "Finds the contact as GET /tinyerp/customers/ml/{buyerId} does, then creates it (201) or completes it (200, updated): a contact coded ML-<buyer id> " +
    "follows the buyer's name; a contact the seller made only gets its blanks filled (code, CPF/CNPJ). A document is never overwritten. " +
    "Repeating it writes nothing (200, unchanged).",
  request: { body: jsonBody(SyncBody) },
  responses: {
    200: jsonResponse(SyncResultSchema, "The contact was already there (updated or unchanged)"),
    201: jsonResponse(SyncResultSchema, "The contact was created"),
    404: problem("No order of yours from this buyer, or no such Tiny account"),
    409: problem("The Tiny contact holds another CPF/CNPJ, a sync of this buyer is running, or the account must be reconnected"),
    ...tinyErrors,
    ...authErrorResponses,
  },
});
