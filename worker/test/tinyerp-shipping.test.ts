import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { toShipmentRow } from "#integrations/mercadolibre/transform";
import { upsertShipment } from "#db/queries/ml-data";
import { problemFields, registerUser } from "./support/api";
import { sandbox as mlSandbox, sandboxUrl as mlSandboxUrl } from "./support/ml";
import { api, sandbox } from "./support/tiny";
import { mlOrder, push, seller, stranger, tinyApi, type Seller } from "./support/tiny-pushes";

interface LabelDto {
  source: string;
  pushId: string;
  tinyOrderId: number;
  shippingGroup: { id: number; name: string | null; date: string | null };
  shipmentId: number;
  urls: string[];
}

interface GroupPage {
  accountId: string;
  items: Array<{ id: number; name: string | null; date: string | null; objects: number | null; shippingMethod: { id: number; name: string | null } | null }>;
  pagination: { limit: number; offset: number; total: number };
}

const label = (s: Seller, pushId: string, query = "") => api<LabelDto>(`/tinyerp/orders/${pushId}/shipping-label${query}`, { token: s.user.accessToken });

/** A label file as bytes (the JSON helper would decode it as text). */
async function labelFile(s: Seller, pushId: string, query = "") {
  const response = await exports.default.fetch(
    new Request(`http://api.test/tinyerp/orders/${pushId}/shipping-label${query}`, { headers: { authorization: `Bearer ${s.user.accessToken}`, "cf-connecting-ip": "192.0.2.1" } }),
  );
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

async function mlGet<T>(s: Seller, path: string): Promise<T> {
  const minted = await mlSandbox<{ access_token: string }>("/_sandbox/tokens", { json: { user_id: s.mlUserId } });
  const response = await fetch(`${mlSandboxUrl()}${path}`, { headers: { authorization: `Bearer ${minted.access_token}`, "x-format-new": "true" } });
  return (await response.json()) as T;
}

/**
 * A paid order of the seller's own sandbox seller whose Mercado Envios shipment the seller prints
 * (Full shipments, about one listing in twenty, print nothing and are skipped).
 */
async function printableMlOrder(s: Seller): Promise<{ mlOrderId: number; shipmentId: number }> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const item = await mlSandbox<{ id: string }>("/_sandbox/items", { json: { seller_id: s.mlUserId } });
    const order = await mlSandbox<{ id: number; shipping: { id: number } }>("/_sandbox/orders", { json: { seller_id: s.mlUserId, item_id: item.id, status: "paid" } });
    const shipment = await mlGet<{ logistic: { type: string } }>(s, `/shipments/${order.shipping.id}`);
    if (shipment.logistic.type !== "fulfillment") return { mlOrderId: order.id, shipmentId: order.shipping.id };
  }
  throw new Error("the ML sandbox kept creating Full shipments");
}

/** Stores the shipment as ML shows it now, as the webhook pipeline would. */
async function storeShipment(s: Seller, shipmentId: number) {
  await upsertShipment(s.services.db, s.mlAccountId, toShipmentRow(await mlGet(s, `/shipments/${shipmentId}`), new Date()));
}

describe.sequential("GET /tinyerp/orders/{id}/shipping-label", () => {
  it("Mercado Envios: ML's label passes through as PDF or as ML's ZPL zip", async () => {
    const s = await seller();
    const ml = await printableMlOrder(s);
    await mlOrder(s, { mlOrderId: ml.mlOrderId, shippingId: ml.shipmentId });
    await storeShipment(s, ml.shipmentId);
    const pushed = await push(s, ml.mlOrderId);

    const pdf = await labelFile(s, pushed.id);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(pdf.headers.get("x-label-source")).toBe("mercado_envios");
    expect(pdf.headers.get("content-disposition")).toBe(`attachment; filename="etiqueta-${ml.mlOrderId}.pdf"`);
    expect(ascii(pdf.bytes.slice(0, 5))).toBe("%PDF-");
    expect(ascii(pdf.bytes)).toContain(`Envio ${ml.shipmentId}`);

    const zpl = await labelFile(s, pushed.id, "?format=zpl");
    expect(zpl.status).toBe(200);
    expect(zpl.headers.get("content-type")).toBe("application/zip");
    expect([...zpl.bytes.slice(0, 4)]).toEqual([0x50, 0x4b, 0x03, 0x04]);
  });

  it("a shipment our row has not seen yet is read from ML first", async () => {
    const s = await seller();
    const ml = await printableMlOrder(s);
    await mlOrder(s, { mlOrderId: ml.mlOrderId, shippingId: ml.shipmentId });
    const pushed = await push(s, ml.mlOrderId);
    const pdf = await labelFile(s, pushed.id);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
  });

  it("no Mercado Envios label: unpaid, cancelled, already shipped, Full — each a 409 saying why", async () => {
    const s = await seller();
    const unpaid = await mlOrder(s, { status: "payment_required" });
    const unpaidPush = await push(s, unpaid.mlOrderId);
    const notPaid = await label(s, unpaidPush.id);
    expect(notPaid.status).toBe(409);
    expect(notPaid.headers.get("content-type")).toContain("application/problem+json");
    expect(JSON.stringify(notPaid.body)).toContain("not paid yet");

    const cancelled = await mlOrder(s, { status: "cancelled" });
    const cancelledLabel = await label(s, (await push(s, cancelled.mlOrderId)).id);
    expect(cancelledLabel.status).toBe(409);
    expect(JSON.stringify(cancelledLabel.body)).toContain("cancelled");

    const ml = await printableMlOrder(s);
    await mlSandbox(`/_sandbox/orders/${ml.mlOrderId}/ship`, { json: {} });
    await mlOrder(s, { mlOrderId: ml.mlOrderId, shippingId: ml.shipmentId });
    await storeShipment(s, ml.shipmentId);
    const shipped = await label(s, (await push(s, ml.mlOrderId)).id);
    expect(shipped.status).toBe(409);
    expect(JSON.stringify(shipped.body)).toContain("no longer printable");

    const fullShipmentId = 90_000_000_000 + Math.floor(Math.random() * 1e9);
    await upsertShipment(s.services.db, s.mlAccountId, {
      ...toShipmentRow(
        { id: fullShipmentId, sender_id: s.mlUserId, status: "ready_to_ship", substatus: "ready_to_print", logistic: { mode: "me2", type: "fulfillment" }, last_updated: new Date().toISOString() },
        new Date(),
      ),
    });
    const full = await mlOrder(s, { shippingId: fullShipmentId });
    const fullLabel = await label(s, (await push(s, full.mlOrderId)).id);
    expect(fullLabel.status).toBe(409);
    expect(JSON.stringify(fullLabel.body)).toContain("Full");
  });

  it("seller-shipped orders: the label links of the Tiny shipping group holding the order, once it exists", async () => {
    const s = await seller();
    const order = await mlOrder(s);
    const pushed = await push(s, order.mlOrderId);
    expect(pushed.tinyOrderId).not.toBeNull();

    const before = await label(s, pushed.id);
    expect(before.status).toBe(409);
    expect(JSON.stringify(before.body)).toContain("No Tiny shipping group");

    // Another order grouped on its own first: the lookup must pick the group holding ours.
    const other = await push(s, (await mlOrder(s)).mlOrderId);
    await tinyApi("/expedicao", { json: { idsPedidos: [other.tinyOrderId] } });
    const group = await tinyApi<{ id: number }>("/expedicao", { json: { idsPedidos: [pushed.tinyOrderId] } });
    expect(group.status).toBe(200);

    const found = await label(s, pushed.id, "?format=zpl");
    expect(found.status).toBe(200);
    expect(found.headers.get("x-label-source")).toBe("tiny");
    expect(found.body).toMatchObject({ source: "tiny", pushId: pushed.id, tinyOrderId: pushed.tinyOrderId, shippingGroup: { id: group.body.id } });
    expect(found.body.urls).toHaveLength(1);
    const file = await fetch(found.body.urls[0]!);
    expect(file.headers.get("content-type")).toBe("application/pdf");

    // Remembered: the second answer is the same without scanning the groups again.
    const scans = async () => {
      const { counts } = await sandbox<{ counts: Record<string, number> }>("/_sandbox/counters");
      return [counts["GET /public-api/v3/expedicao"] ?? 0, counts["GET /public-api/v3/expedicao/:idAgrupamento"] ?? 0];
    };
    const scansBefore = await scans();
    const again = await label(s, pushed.id);
    expect(again.body).toEqual(found.body);
    expect(await scans()).toEqual(scansBefore);
  });

  it("an order that never reached Tiny has no shipping group to look in", async () => {
    const s = await seller();
    const order = await mlOrder(s, { linked: false });
    const pushed = await push(s, order.mlOrderId);
    expect(pushed.tinyOrderId).toBeNull();
    const response = await label(s, pushed.id);
    expect(response.status).toBe(409);
    expect(JSON.stringify(response.body)).toContain("not in Tiny");
  });

  it("authentication, validation and tenant isolation", async () => {
    const s = await seller();
    const pushed = await push(s, (await mlOrder(s)).mlOrderId);
    expect((await api(`/tinyerp/orders/${pushed.id}/shipping-label`)).status).toBe(401);
    const badId = await api("/tinyerp/orders/not-a-uuid/shipping-label", { token: s.user.accessToken });
    expect(badId.status).toBe(400);
    expect(problemFields(badId.body)).toEqual(["params.id"]);
    const badFormat = await label(s, pushed.id, "?format=png");
    expect(badFormat.status).toBe(400);
    expect(problemFields(badFormat.body)).toEqual(["query.format"]);
    const missing = await api("/tinyerp/orders/0190a0a0-0000-7000-8000-000000000000/shipping-label", { token: s.user.accessToken });
    expect(missing.status).toBe(404);

    const other = await stranger();
    expect((await api(`/tinyerp/orders/${pushed.id}/shipping-label`, { token: other.user.accessToken })).status).toBe(404);
  });
});

describe("GET /tinyerp/shipping-groups", () => {
  it("lists Tiny's shipping groups live, filtered by date and shipping method", async () => {
    const s = await seller();
    const pushed = await push(s, (await mlOrder(s)).mlOrderId);
    const created = await tinyApi<{ id: number }>("/expedicao", { json: { idsPedidos: [pushed.tinyOrderId] } });
    const detail = await tinyApi<{ data: string }>(`/expedicao/${created.body.id}`);

    const page = await api<GroupPage>(`/tinyerp/shipping-groups?dataInicial=${detail.body.data}&limit=100`, { token: s.user.accessToken });
    expect(page.status).toBe(200);
    expect(page.body.accountId).toBe(s.tinyAccountId);
    expect(page.body.pagination).toMatchObject({ limit: 100, offset: 0 });
    const mine = page.body.items.find((g) => g.id === created.body.id);
    expect(mine).toMatchObject({ date: detail.body.data, objects: 1 });
    expect(mine!.name).toEqual(expect.any(String));

    const future = await api<GroupPage>("/tinyerp/shipping-groups?dataInicial=2099-01-01", { token: s.user.accessToken });
    expect(future.body.items).toEqual([]);
    const byMethod = await api<GroupPage>("/tinyerp/shipping-groups?shippingMethodId=999999999", { token: s.user.accessToken });
    expect(byMethod.status).toBe(200);
    expect(byMethod.body.items).toEqual([]);
  });

  it("authentication, field-level validation and tenant isolation", async () => {
    const s = await seller();
    expect((await api("/tinyerp/shipping-groups")).status).toBe(401);
    const bad = await api(`/tinyerp/shipping-groups?limit=0&dataInicial=2026-02-31&shippingMethodId=abc`, { token: s.user.accessToken });
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body).sort()).toEqual(["query.dataInicial", "query.limit", "query.shippingMethodId"]);
    const reversed = await api("/tinyerp/shipping-groups?dataInicial=2026-07-10&dataFinal=2026-07-01", { token: s.user.accessToken });
    expect(reversed.status).toBe(400);
    expect(problemFields(reversed.body)).toEqual(["query.dataFinal"]);
    expect((await api("/tinyerp/shipping-groups?accountId=abc", { token: s.user.accessToken })).status).toBe(400);

    const other = await stranger();
    expect((await api(`/tinyerp/shipping-groups?accountId=${s.tinyAccountId}`, { token: other.user.accessToken })).status).toBe(404);
    const unconnected = await registerUser();
    expect((await api("/tinyerp/shipping-groups", { token: unconnected.accessToken })).status).toBe(404);
  });
});

describe("the OpenAPI document", () => {
  it("documents the shipping, customer and finance routes with their parameters", async () => {
    const doc = await api<{ paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }>; responses: Record<string, unknown> }>> }>("/openapi.json");
    expect(doc.status).toBe(200);
    const params = (path: string, method = "get") => (doc.body.paths[path]?.[method]?.parameters ?? []).map((p) => `${p.in}.${p.name}`).sort();
    expect(params("/tinyerp/shipping-groups")).toEqual(["query.accountId", "query.dataFinal", "query.dataInicial", "query.limit", "query.offset", "query.shippingMethodId"]);
    expect(params("/tinyerp/orders/{id}/shipping-label")).toEqual(["path.id", "query.format"]);
    expect(params("/tinyerp/customers")).toEqual(["query.accountId", "query.cpfCnpj", "query.limit", "query.name", "query.offset"]);
    expect(params("/tinyerp/customers/ml/{buyerId}")).toEqual(["path.buyerId", "query.accountId"]);
    expect(params("/tinyerp/receivables")).toEqual(["query.accountId", "query.dataFinal", "query.dataInicial", "query.limit", "query.offset", "query.situacao"]);
    expect(params("/tinyerp/orders/{id}/receivables")).toEqual(["path.id"]);
    expect(Object.keys(doc.body.paths["/tinyerp/customers/sync"]?.post?.responses ?? {})).toEqual(expect.arrayContaining(["200", "201", "400", "401", "404", "409"]));
    expect(Object.keys(doc.body.paths["/tinyerp/orders/{id}/shipping-label"]?.get?.responses ?? {})).toEqual(expect.arrayContaining(["200", "400", "401", "404", "409"]));
  });
});
