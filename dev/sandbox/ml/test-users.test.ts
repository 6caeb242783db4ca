import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTempDatabase, type TempDatabase } from "../common/test-db";
import { api, control, startTestSandbox } from "./test-helpers";

let db: TempDatabase;
beforeAll(async () => {
  db = await createTempDatabase();
});
afterAll(() => db.drop());

describe("ML sandbox test users (POST /users/test_user)", () => {
  it("creates sellers of their own that list, sell and survive a restart", async () => {
    const first = await startTestSandbox({ databaseUrl: db.url, listings: 5 });
    const app = api(first);
    expect((await app.post("/users/test_user", {})).status).toBe(400);
    const made = await app.post("/users/test_user", { site_id: "MLB" });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ id: expect.any(Number), nickname: expect.any(String), password: expect.any(String), site_status: "active" });
    const other = await app.post("/users/test_user", { site_id: "MLB" });
    expect(other.body.id).not.toBe(made.body.id);

    const listing = await control(first, "POST", "/_sandbox/items", { seller_id: made.body.id });
    expect(listing.status).toBe(201);
    const token = (await control(first, "POST", "/_sandbox/tokens", { user_id: made.body.id })).body.access_token as string;
    const seller = api(first, token);
    expect((await seller.get("/users/me")).body.id).toBe(made.body.id);
    expect((await seller.get(`/items/${listing.body.id}`)).body.seller_id).toBe(made.body.id);
    const order = await control(first, "POST", "/_sandbox/orders", { seller_id: made.body.id, item_id: listing.body.id, status: "paid" });
    expect((await seller.get(`/orders/${order.body.id}`)).body.seller.id).toBe(made.body.id);
    await first.close();

    const second = await startTestSandbox({ databaseUrl: db.url, listings: 5 });
    try {
      const again = api(second, token);
      expect((await again.get(`/users/${made.body.id}/items/search`)).body.results).toEqual([listing.body.id]);
      expect((await api(second).post("/users/test_user", { site_id: "MLB" })).body.id).not.toBe(other.body.id);
    } finally {
      await second.close();
    }
  });
});
