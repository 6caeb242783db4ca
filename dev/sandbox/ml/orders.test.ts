import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MlSandbox } from "./index";
import { api, control, startTestSandbox, type Api, type Loose } from "./test-helpers";

let sb: MlSandbox;
let seller: Api;
let other: Api;
let search: string;
beforeAll(async () => {
  sb = await startTestSandbox({ orders: 80 });
  seller = api(sb);
  other = api(sb, sb.issueToken(sb.sellers.second.id).access_token);
  search = `/orders/search?seller=${sb.sellers.demo.id}`;
});
afterAll(() => sb.close());

const demoOrders = () => [...sb.ctx.state.orders.values()].filter((o) => o.sellerId === sb.sellers.demo.id);

describe("orders search", () => {
  it("hides cancelled orders from the seller, even when asked for them", async () => {
    const cancelled = demoOrders().filter((o) => o.status === "cancelled");
    expect(cancelled.length).toBeGreaterThan(0);
    const all = await seller.get(`${search}&limit=51`);
    expect(all.body.paging.total).toBe(demoOrders().length - cancelled.length);
    const ids = new Set<number>();
    for (let offset = 0; offset < all.body.paging.total; offset += 51) {
      for (const o of (await seller.get(`${search}&limit=51&offset=${offset}`)).body.results) ids.add(o.id);
    }
    for (const o of cancelled) expect(ids.has(o.id)).toBe(false);
    expect((await seller.get(`${search}&order.status=cancelled`)).body.paging.total).toBe(0);
  });

  it("caps limit at 51", async () => {
    expect((await seller.get(`${search}&limit=51`)).status).toBe(200);
    const res = await seller.get(`${search}&limit=52`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: "bad_request", status: 400 });
  });

  it("sorts by date_closed ascending by default and supports date_desc", async () => {
    const asc = (await seller.get(`${search}&limit=51`)).body.results as Loose[];
    const key = (o: Loose) => Date.parse(o.date_closed ?? o.date_created);
    for (let i = 1; i < asc.length; i++) expect(key(asc[i])).toBeGreaterThanOrEqual(key(asc[i - 1]));
    const desc = (await seller.get(`${search}&limit=51&sort=date_desc`)).body.results as Loose[];
    for (let i = 1; i < desc.length; i++) expect(key(desc[i])).toBeLessThanOrEqual(key(desc[i - 1]));
  });

  it("filters last_updated at hour granularity (minutes are ignored)", async () => {
    const created = await control(sb, "POST", "/_sandbox/orders", { status: "paid" });
    expect(created.status).toBe(201);
    const updated = Date.parse(created.body.last_updated);
    // A from-time later in the same hour still matches, because minutes are dropped.
    const sameHourLater = new Date(Math.floor(updated / 3600_000) * 3600_000 + 3599_000).toISOString();
    const res = await seller.get(`${search}&order.date_last_updated.from=${encodeURIComponent(sameHourLater)}&limit=51`);
    expect(res.body.results.map((o: Loose) => o.id)).toContain(created.body.id);
    const nextHour = new Date(Math.floor(updated / 3600_000) * 3600_000 + 3600_000).toISOString();
    const none = await seller.get(`${search}&order.date_last_updated.from=${encodeURIComponent(nextHour)}`);
    expect(none.body.results.map((o: Loose) => o.id)).not.toContain(created.body.id);
  });

  it("refuses to search another seller's orders", async () => {
    const res = await other.get(search);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("caller.id.invalid");
  });
});

describe("GET /orders/:id", () => {
  it("returns the order to its seller and 403 not_owned_order to others", async () => {
    const o = demoOrders()[0];
    const res = await seller.get(`/orders/${o?.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: o?.id, seller: { id: sb.sellers.demo.id }, order_items: [{ item: { id: o?.itemId } }] });
    const denied = await other.get(`/orders/${o?.id}`);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toBe("not_owned_order");
    expect((await seller.get("/orders/1")).body.error).toBe("order_not_found");
  });

  it("answers 206 with X-Content-Missing for a pinned order", async () => {
    const o = demoOrders()[1];
    await control(sb, "PUT", `/_sandbox/orders/${o?.id}/partial`, { fields: ["buyer", "shipping"] });
    const res = await seller.get(`/orders/${o?.id}`);
    expect(res.status).toBe(206);
    expect(res.headers.get("x-content-missing")).toBe("buyer, shipping");
    expect(res.body.buyer).toBeUndefined();
    expect(res.body.shipping).toBeUndefined();
    await control(sb, "DELETE", `/_sandbox/orders/${o?.id}/partial`);
    expect((await seller.get(`/orders/${o?.id}`)).status).toBe(200);
  });

  it("answers 206 from a fault rule, for a fixed number of calls", async () => {
    const o = demoOrders()[2];
    await control(sb, "POST", "/_sandbox/faults", { rule: { match: { method: "GET", path: "/orders/*" }, times: 2, extra: { partialContent: { fields: ["feedback"] } } } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await seller.get(`/orders/${o?.id}`)).status);
    expect(statuses).toEqual([206, 206, 200]);
  });
});

describe("order lifecycle through control endpoints", () => {
  it("paying takes stock, cancelling returns it and notifies orders_v2 + items", async () => {
    const item = [...sb.ctx.state.items.values()].find((x) => x.sellerId === sb.sellers.demo.id && x.status === "active" && x.variations === null && x.qty >= 3);
    const qty = item?.qty as number;
    const before = sb.ctx.state.notifications.length;
    const created = await control(sb, "POST", "/_sandbox/orders", { item_id: item?.id, quantity: 2, status: "payment_required" });
    expect(created.body.status).toBe("payment_required");
    expect(sb.ctx.state.items.get(item?.id as string)?.qty).toBe(qty);
    const paid = await control(sb, "POST", `/_sandbox/orders/${created.body.id}/pay`);
    expect(paid.body).toMatchObject({ status: "paid", paid_amount: created.body.total_amount });
    expect(paid.body.date_closed).not.toBeNull();
    expect(sb.ctx.state.items.get(item?.id as string)?.qty).toBe(qty - 2);
    const cancelled = await control(sb, "POST", `/_sandbox/orders/${created.body.id}/cancel`, { requested_by: "seller", group: "seller" });
    expect(cancelled.body.status).toBe("cancelled");
    expect(cancelled.body.cancel_detail).toMatchObject({ requested_by: "seller", group: "seller" });
    expect(sb.ctx.state.items.get(item?.id as string)?.qty).toBe(qty);
    const topics = sb.ctx.state.notifications.slice(before).map((n) => n.topic);
    expect(topics.filter((t) => t === "orders_v2")).toHaveLength(3);
    expect(topics).toContain("items");
    expect(topics).toContain("shipments");
  });

  it("ships and labels: pdf marks printed, zpl2 is a zip, unpaid shipments fail", async () => {
    const created = await control(sb, "POST", "/_sandbox/orders", { status: "paid" });
    const shipmentId = created.body.shipping.id;
    const shipment = await seller.get(`/shipments/${shipmentId}`, { "x-format-new": "true" });
    expect(shipment.body).toMatchObject({ status: "ready_to_ship", substatus: "ready_to_print", logistic: { mode: "me2" } });
    expect(shipment.body.destination.shipping_address).not.toBeNull();
    const pdf = await fetch(`${sb.url}/shipment_labels?shipment_ids=${shipmentId}&response_type=pdf`, { headers: { authorization: `Bearer ${seller.token}` } });
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe("%PDF-");
    expect(bytes.toString("latin1")).toContain(`Envio ${shipmentId}`);
    expect((await seller.get(`/shipments/${shipmentId}`, { "x-format-new": "true" })).body.substatus).toBe("printed");
    const zpl = await fetch(`${sb.url}/shipment_labels?shipment_ids=${shipmentId}&response_type=zpl2`, { headers: { authorization: `Bearer ${seller.token}` } });
    const zip = Buffer.from(await zpl.arrayBuffer());
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    expect(zip.toString("utf8")).toContain("^XA");
    const unpaid = await control(sb, "POST", "/_sandbox/orders", { status: "payment_required" });
    const failed = await seller.get(`/shipment_labels?shipment_ids=${unpaid.body.shipping.id}&response_type=pdf`);
    expect(failed.status).toBe(400);
    expect(failed.body.failed_shipments[0].shipment_id).toBe(unpaid.body.shipping.id);
    // Buyer address stays hidden until payment.
    expect((await seller.get(`/shipments/${unpaid.body.shipping.id}`, { "x-format-new": "true" })).body.destination.shipping_address).toBeNull();
  });
});
