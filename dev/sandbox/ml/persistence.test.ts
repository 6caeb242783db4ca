import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTempDatabase, type TempDatabase } from "../common/test-db";
import { api, control, startTestSandbox } from "./test-helpers";

let db: TempDatabase;
beforeAll(async () => {
  db = await createTempDatabase();
});
afterAll(() => db.drop());

describe("ML sandbox persistence", () => {
  it("survives a restart: item edits, new orders, tokens and callback config", async () => {
    const first = await startTestSandbox({ databaseUrl: db.url, listings: 300 });
    const seller = api(first);
    const itemId = first.ctx.state.sellerItems.get(first.sellers.demo.id)?.find((id) => {
      const it = first.ctx.state.items.get(id);
      return it?.status === "active" && it.variations === null && it.logisticType !== "fulfillment";
    }) as string;
    expect((await seller.put(`/items/${itemId}`, { price: 321.5 })).status).toBe(200);
    const order = await control(first, "POST", "/_sandbox/orders", { status: "paid" });
    await control(first, "PUT", "/_sandbox/callback", { url: "http://127.0.0.1:9/never" });
    const created = await control(first, "POST", "/_sandbox/items", { title: "Item criado no sandbox", price: 10, available_quantity: 2 });
    await first.close();

    // Different start-up options: the stored snapshot wins, so the demo continues where it was.
    const second = await startTestSandbox({ databaseUrl: db.url, listings: 10 });
    try {
      const again = api(second, seller.token);
      expect((await again.get(`/items/${itemId}`)).body.price).toBe(321.5);
      expect((await again.get(`/orders/${order.body.id}`)).body.status).toBe("paid");
      expect((await again.get(`/items/${created.body.id}`)).body.title).toBe("Item criado no sandbox");
      expect((await control(second, "GET", "/_sandbox/callback")).body.url).toBe("http://127.0.0.1:9/never");
      const search = await again.get(`/users/${second.sellers.demo.id}/items/search?limit=1`);
      expect(search.body.paging.total).toBe(
        301 - (second.ctx.state.sellerItems.get(second.sellers.demo.id) ?? []).filter((id) => second.ctx.state.items.get(id)?.subStatus.includes("deleted")).length,
      );
    } finally {
      await second.close();
    }

    const fresh = await startTestSandbox({ databaseUrl: db.url, listings: 10, freshState: true });
    try {
      expect(fresh.ctx.state.sellerItems.get(fresh.sellers.demo.id)?.length).toBe(10);
    } finally {
      await fresh.close();
    }
  });
});
