import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MlSandbox } from "./index";
import type { ItemRec } from "./types";
import { api, startTestSandbox, type Api, type Loose } from "./test-helpers";

let sb: MlSandbox;
let seller: Api;
let other: Api;
let searchPath: string;
beforeAll(async () => {
  sb = await startTestSandbox({ listings: 1_234 });
  seller = api(sb);
  other = api(sb, sb.issueToken(sb.sellers.second.id).access_token);
  searchPath = `/users/${sb.sellers.demo.id}/items/search`;
});
afterAll(() => sb.close());

const items = () => [...sb.ctx.state.items.values()];
const findItem = (pred: (it: ItemRec) => boolean) => {
  const it = items().find((x) => x.sellerId === sb.sellers.demo.id && pred(x));
  if (!it) throw new Error("no seed item matches");
  return it;
};

describe("items search paging", () => {
  it("caps limit at 100 and offset+limit at 1000 with a 400", async () => {
    expect((await seller.get(`${searchPath}?limit=100`)).status).toBe(200);
    const tooBig = await seller.get(`${searchPath}?limit=101`);
    expect(tooBig.status).toBe(400);
    expect(tooBig.body).toMatchObject({ error: "bad_request", status: 400, cause: [] });
    expect((await seller.get(`${searchPath}?offset=950&limit=50`)).status).toBe(200);
    const past = await seller.get(`${searchPath}?offset=1000&limit=50`);
    expect(past.status).toBe(400);
    expect(past.body.message).toContain("search_type=scan");
  });

  it("scan reaches every listing beyond 1000 with one scroll_id", async () => {
    const seen: string[] = [];
    let res = await seller.get(`${searchPath}?search_type=scan&limit=100`);
    expect(res.status).toBe(200);
    const total = res.body.paging.total;
    expect(total).toBe(1_234);
    const scrollId = res.body.scroll_id;
    while (res.body.results.length > 0) {
      seen.push(...res.body.results);
      expect(res.body.scroll_id).toBe(scrollId);
      res = await seller.get(`${searchPath}?search_type=scan&limit=100&scroll_id=${encodeURIComponent(scrollId)}`);
    }
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
  });

  it("rejects offset mixed with scan and expired scroll ids", async () => {
    expect((await seller.get(`${searchPath}?search_type=scan&offset=0`)).status).toBe(400);
    const first = await seller.get(`${searchPath}?search_type=scan&limit=10`);
    sb.ctx.clock.advance(5 * 60_000 + 1);
    try {
      const expired = await seller.get(`${searchPath}?search_type=scan&scroll_id=${encodeURIComponent(first.body.scroll_id)}`);
      expect(expired.status).toBe(400);
      expect(expired.body.error).toBe("scroll_expired");
    } finally {
      sb.ctx.clock.reset();
    }
  });

  it("filters by seller_sku (attribute) and sku (seller_custom_field) and status", async () => {
    const withSku = findItem((it) => it.sku !== null && it.variations === null);
    const r1 = await seller.get(`${searchPath}?seller_sku=${encodeURIComponent(withSku.sku as string)}`);
    expect(r1.body.results).toContain(withSku.id);
    const varied = findItem((it) => it.variations !== null && it.variations.some((v) => v.customField !== null));
    const v = varied.variations?.find((x) => x.customField !== null);
    const r2 = await seller.get(`${searchPath}?sku=${encodeURIComponent(v?.customField as string)}`);
    expect(r2.body.results).toEqual([varied.id]);
    const paused = await seller.get(`${searchPath}?status=paused&limit=100`);
    for (const id of paused.body.results) expect(sb.ctx.state.items.get(id)?.status).toBe("paused");
  });

  it("keeps sellers apart", async () => {
    const res = await other.get(`${searchPath}`);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ status: 403, error: "access_denied", message: "access to the requested resource is forbidden", code: "FORBIDDEN" });
  });
});

describe("multiget", () => {
  it("returns [{code, body}] for up to 20 ids and 400 above", async () => {
    const ids = (sb.ctx.state.sellerItems.get(sb.sellers.demo.id) as string[]).slice(0, 20);
    const res = await seller.get(`/items?ids=${[...ids.slice(0, 19), "MLB1"].join(",")}`);
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(20);
    expect(res.body[0]).toMatchObject({ code: 200, body: { id: ids[0] } });
    expect(res.body[19]).toEqual({ code: 404, body: { message: "Item with id MLB1 not found", error: "not_found", status: 404, cause: [] } });
    const tooMany = await seller.get(`/items?ids=${[...ids, "MLB2"].join(",")}`);
    expect(tooMany.status).toBe(400);
  });

  it("shows bucketed stock to other users and the real stock to the owner", async () => {
    const it = findItem((x) => x.status === "active" && x.variations === null && x.qty > 1 && ![1, 50, 100, 150, 200].includes(x.qty));
    const own = await seller.get(`/items?ids=${it.id}&attributes=available_quantity`);
    expect(own.body[0].body).toEqual({ id: it.id, available_quantity: it.qty });
    const pub = await other.get(`/items/${it.id}`);
    expect(pub.body.available_quantity).not.toBe(it.qty);
  });
});

describe("PUT /items/:id", () => {
  it("updates price and stock, bumps last_updated, pauses at 0 and reactivates", async () => {
    const it = findItem((x) => x.status === "active" && x.variations === null && x.logisticType !== "fulfillment" && !x.userProductId);
    const before = (await seller.get(`/items/${it.id}`)).body.last_updated;
    const res = await seller.put(`/items/${it.id}`, { price: 123.45, available_quantity: 0 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ price: 123.45, available_quantity: 0, status: "paused", sub_status: ["out_of_stock"] });
    expect(Date.parse(res.body.last_updated)).toBeGreaterThan(Date.parse(before));
    const back = await seller.put(`/items/${it.id}`, { available_quantity: 5 });
    expect(back.body).toMatchObject({ available_quantity: 5, status: "active", sub_status: [] });
  });

  it("keeps variations sent with id, recreates those sent without id, drops unlisted ones", async () => {
    const it = findItem((x) => x.status === "active" && (x.variations?.length ?? 0) >= 3 && x.logisticType !== "fulfillment");
    const [a, b, c] = it.variations as NonNullable<ItemRec["variations"]>;
    const res = await seller.put(`/items/${it.id}`, {
      variations: [
        { id: a?.id, available_quantity: 7, price: 99.9 },
        { attribute_combinations: b?.combos, available_quantity: 3, price: 89.9 },
      ],
    });
    expect(res.status).toBe(200);
    const vars = res.body.variations as Loose[];
    expect(vars).toHaveLength(2);
    expect(vars[0]).toMatchObject({ id: a?.id, available_quantity: 7, price: 99.9, sold_quantity: a?.sold });
    expect(vars[1].id).not.toBe(b?.id);
    expect(vars[1].sold_quantity).toBe(0);
    expect(vars.map((v) => v.id)).not.toContain(c?.id);
    expect(res.body.available_quantity).toBe(10);
    expect(res.body.price).toBe(99.9);
  });

  it("rejects unknown variation ids, title changes with sales and stock on Full items", async () => {
    const it = findItem((x) => x.status === "active" && x.variations !== null && x.sold > 0 && x.logisticType !== "fulfillment");
    const bad = await seller.put(`/items/${it.id}`, { variations: [{ id: 1, available_quantity: 1 }] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: "validation_error", cause: [{ code: "item.variations.id.invalid", type: "error", department: "items" }] });
    const title = await seller.put(`/items/${it.id}`, { title: "Novo título" });
    expect(title.body.cause[0].code).toBe("item.title.not_modifiable");
    const full = findItem((x) => x.logisticType === "fulfillment" && x.variations === null);
    const fullRes = await seller.put(`/items/${full.id}`, { available_quantity: 3 });
    expect(fullRes.body.cause[0].code).toBe("item.available_quantity.not_modifiable");
  });

  it("forbids editing another seller's listing and emits an items notification on change", async () => {
    const it = findItem((x) => x.status === "active" && x.variations === null && x.logisticType !== "fulfillment");
    expect((await other.put(`/items/${it.id}`, { price: 10 })).status).toBe(403);
    const before = sb.ctx.state.notifications.length;
    await seller.put(`/items/${it.id}`, { price: 11.5 });
    const n = sb.ctx.state.notifications.slice(before);
    expect(n).toEqual([expect.objectContaining({ topic: "items", resource: `/items/${it.id}`, userId: sb.sellers.demo.id })]);
  });
});
