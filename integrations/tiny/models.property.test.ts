import { createInstance, getHttpOperationsFromSpec } from "@stoplight/prism-http";
import { createLogger } from "@stoplight/prism-core";
import type { IHttpOperation } from "@stoplight/types";
import type { z } from "zod";
import { beforeAll, describe, expect, it } from "vitest";
import { contactPageModel, createdContactModel } from "./contacts-api";
import { receivableModel, receivablePageModel } from "./finance-api";
import { createdOrderModel, emittedInvoiceModel, generatedInvoiceModel, invoiceLinkModel, orderListModel, orderModel } from "./orders-api";
import { createdProductModel, createdProductWithVariationsModel, infoModel, kitModel, productListModel, productModel, stockModel } from "./schemas";
import { labelsModel, orderShippingModel, shippingGroupModel, shippingGroupPageModel } from "./shipping-api";

// Every Tiny endpoint the client calls, answered by Prism's dynamic mock from Tiny's published
// spec: random bodies the spec allows (nulls wherever it says nullable, every optional field
// present, arrays of any length). Only the fields docs/tiny.md lists as required are forced
// present; everything else must parse as generated. Seeded, so a failure replays exactly.

const SPEC = new URL("../../dev/sandbox/tiny/contract/tiny-v3-openapi.json", import.meta.url).pathname;
const RESPONSES_PER_ENDPOINT = 40;

type Body = Record<string, unknown>;
const objects = (value: unknown): Body[] => (Array.isArray(value) ? value.filter((v): v is Body => !!v && typeof v === "object") : []);
const asObject = (value: unknown): Body | null => (value && typeof value === "object" && !Array.isArray(value) ? (value as Body) : null);

/** The fields docs/tiny.md requires, set on a generated body. */
const requireOwnId = (body: Body) => {
  body.id = 7;
};
const requireItemIds = (body: Body) => {
  for (const item of objects(body.itens)) item.id = 7;
};
const requireVariationIds = (body: Body) => {
  requireOwnId(body);
  for (const variation of objects(body.variacoes)) variation.id = 8;
};
const requireShipmentIds = (body: Body) => {
  requireOwnId(body);
  for (const shipment of objects(body.expedicoes)) shipment.id = 8;
};
const requireKitComponents = (body: unknown) => {
  for (const component of objects(body)) {
    component.produto = { ...asObject(component.produto), id: 8 };
  }
};
const nothingRequired = () => {};

interface Endpoint {
  method: "get" | "post";
  path: string;
  model: z.ZodType;
  require: (body: never) => void;
}

const endpoints: Record<string, Endpoint> = {
  "GET /info": { method: "get", path: "/info", model: infoModel, require: nothingRequired },
  "GET /produtos": { method: "get", path: "/produtos", model: productListModel, require: requireItemIds },
  "GET /produtos/{id}": { method: "get", path: "/produtos/7", model: productModel, require: requireOwnId },
  "GET /produtos/{id}/kit": { method: "get", path: "/produtos/7/kit", model: kitModel, require: requireKitComponents },
  "GET /estoque/{id}": { method: "get", path: "/estoque/7", model: stockModel, require: requireOwnId },
  "POST /produtos": { method: "post", path: "/produtos", model: createdProductWithVariationsModel, require: requireVariationIds },
  "POST /produtos/{id}/variacoes": { method: "post", path: "/produtos/7/variacoes", model: createdProductModel, require: requireOwnId },
  "GET /pedidos": { method: "get", path: "/pedidos", model: orderListModel, require: requireItemIds },
  "GET /pedidos/{id}": { method: "get", path: "/pedidos/7", model: orderModel, require: requireOwnId },
  "GET /pedidos/{id} (shipping fields)": { method: "get", path: "/pedidos/7", model: orderShippingModel, require: requireOwnId },
  "POST /pedidos": { method: "post", path: "/pedidos", model: createdOrderModel, require: requireOwnId },
  "POST /pedidos/{id}/gerar-nota-fiscal": { method: "post", path: "/pedidos/7/gerar-nota-fiscal", model: generatedInvoiceModel, require: requireOwnId },
  "POST /notas/{id}/emitir": { method: "post", path: "/notas/7/emitir", model: emittedInvoiceModel, require: requireOwnId },
  "GET /notas/{id}/link": { method: "get", path: "/notas/7/link", model: invoiceLinkModel, require: nothingRequired },
  "GET /contatos": { method: "get", path: "/contatos", model: contactPageModel, require: requireItemIds },
  "POST /contatos": { method: "post", path: "/contatos", model: createdContactModel, require: requireOwnId },
  "GET /contas-receber": { method: "get", path: "/contas-receber", model: receivablePageModel, require: requireItemIds },
  "GET /contas-receber/{id}": { method: "get", path: "/contas-receber/7", model: receivableModel, require: requireOwnId },
  "GET /expedicao": { method: "get", path: "/expedicao", model: shippingGroupPageModel, require: requireItemIds },
  "GET /expedicao/{id}": { method: "get", path: "/expedicao/7", model: shippingGroupModel, require: requireShipmentIds },
  "GET /expedicao/{id}/expedicao/{id}/etiquetas": { method: "get", path: "/expedicao/7/expedicao/8/etiquetas", model: labelsModel, require: nothingRequired },
};

let operations: IHttpOperation[];
const logger = createLogger("prism", { level: "silent" });

/** One answer of `prism mock -d`, through Prism's library rather than its server (no port, no start-up wait). */
async function generate(endpoint: Endpoint, seed: string): Promise<{ status: number; body: unknown }> {
  const prism = createInstance(
    { mock: { dynamic: true, seed }, validateRequest: false, validateResponse: false, checkSecurity: false, errors: false, upstreamProxy: undefined, isProxy: false },
    { logger },
  );
  const request = {
    method: endpoint.method,
    url: { path: endpoint.path },
    headers: { authorization: "Bearer property-test", "content-type": "application/json" },
    ...(endpoint.method === "post" ? { body: {} } : {}),
  };
  const result = await prism.request(request, operations)();
  if (result._tag === "Left") throw result.left;
  return { status: result.right.output.statusCode, body: result.right.output.body };
}

describe("Tiny response models accept every body the spec allows (Prism dynamic mock)", () => {
  beforeAll(async () => {
    operations = await getHttpOperationsFromSpec(SPEC);
  });

  for (const [name, endpoint] of Object.entries(endpoints)) {
    it(`${name}: ${RESPONSES_PER_ENDPOINT} generated answers all parse`, async () => {
      const failures: string[] = [];
      for (let i = 0; i < RESPONSES_PER_ENDPOINT; i++) {
        const { status, body } = await generate(endpoint, `${name} #${i}`);
        expect(status).toBeLessThan(300);
        (endpoint.require as (body: unknown) => void)(body);
        const parsed = endpoint.model.safeParse(body);
        if (!parsed.success) failures.push(`#${i}: ${parsed.error.issues.map((issue) => `${issue.path.join(".")} (${issue.message})`).join("; ")}`);
      }
      expect(failures).toEqual([]);
    });
  }
});
