import { createRoute } from "@hono/zod-openapi";
import { authErrorResponses, jsonBody, jsonResponse, problem } from "../../lib/openapi";
import { requireAuth } from "../../middleware/auth";
import { ProductSyncConflictSchema, ProductSyncRequest, ProductSyncRunParams, ProductSyncRunSchema, ProductSyncStartedSchema } from "./products-sync.schemas";

const tags = ["tinyerp"];
const authenticated = { tags, security: [{ bearerAuth: [] }], middleware: requireAuth };

export const startProductSyncRoute = createRoute({
  ...authenticated,
  method: "post",
  path: "/tinyerp/products/sync",
  summary: "Create or update Tiny products from your ML listings, matched by SKU",
  description:
    "Records a run and hands it to the jobs container (it spends the company's Tiny quota, so large catalogues take a while). " +
    "Listings without SKU, duplicate SKUs and ambiguous matches are reported on the run, never guessed; manual links are never overwritten. " +
    "One live run per Tiny account: a second request answers 409 with its runId. Follow it at GET /tinyerp/products/sync/runs/{id}.",
  request: { body: jsonBody(ProductSyncRequest) },
  responses: {
    202: jsonResponse(ProductSyncStartedSchema, "Run queued"),
    404: problem("No such Tiny account (also for another user's account)"),
    409: { description: "A run is already live (runId names it), or the account must be reconnected", content: { "application/problem+json": { schema: ProductSyncConflictSchema } } },
    503: problem("The run could not be queued"),
    ...authErrorResponses,
  },
});

export const productSyncRunRoute = createRoute({
  ...authenticated,
  method: "get",
  path: "/tinyerp/products/sync/runs/{id}",
  summary: "A product sync run: status, counts, Tiny calls, reported items",
  request: { params: ProductSyncRunParams },
  responses: { 200: jsonResponse(ProductSyncRunSchema, "The run"), 404: problem("No such run (also for another user's run)"), ...authErrorResponses },
});
