import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { MlSandbox } from "./index";
import { api, control, startReceiver, startTestSandbox, type Receiver } from "./test-helpers";

let sb: MlSandbox;
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
  // 0.0001 squeezes ML's hour of retries into ~0.4 s.
  sb = await startTestSandbox({ callbackUrl: rx.url, timeScale: 0.0001 });
});
afterAll(async () => {
  await sb.close();
  await rx.close();
});
afterEach(async () => {
  await sb.webhooks.idle();
  rx.received.length = 0;
  rx.respond = () => ({ status: 200 });
  await control(sb, "PUT", "/_sandbox/callback", { url: rx.url, topics: null, variants: { idKeyAsId: 0, userIdAsString: 0, resourceWithoutSlash: 0 } });
});

const anyItem = () => sb.ctx.state.sellerItems.get(sb.sellers.demo.id)?.[0] as string;

describe("notification payloads", () => {
  it("sends the canonical general-topic body", async () => {
    await control(sb, "PUT", "/_sandbox/callback", { variants: { idKeyAsId: 0, userIdAsString: 0, resourceWithoutSlash: 0 } });
    await control(sb, "POST", `/_sandbox/items/${anyItem()}/price`, { price: 77.7 });
    await sb.webhooks.idle();
    expect(rx.received).toHaveLength(1);
    const body = rx.received[0] as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["_id", "application_id", "attempts", "received", "resource", "sent", "topic", "user_id"]);
    expect(body).toMatchObject({ resource: `/items/${anyItem()}`, user_id: sb.sellers.demo.id, topic: "items", application_id: Number(sb.appId), attempts: 1 });
    expect(Date.parse(body.sent as string)).toBeGreaterThanOrEqual(Date.parse(body.received as string));
  });

  it("sends the variants: id instead of _id, string user_id, resource without slash", async () => {
    await control(sb, "PUT", "/_sandbox/callback", { variants: { idKeyAsId: 1, userIdAsString: 1, resourceWithoutSlash: 1 } });
    await control(sb, "POST", "/_sandbox/questions", { item_id: anyItem(), text: "Tem em azul?" });
    await sb.webhooks.idle();
    const body = rx.received[0] as Record<string, unknown>;
    expect(body._id).toBeUndefined();
    expect(typeof body.id).toBe("string");
    expect(body.user_id).toBe(String(sb.sellers.demo.id));
    expect(body.resource).toMatch(/^questions\/\d+$/);
    expect(body.topic).toBe("questions");
  });

  it("uses the subtopic model for claims", async () => {
    const order = [...sb.ctx.state.orders.values()].find((o) => o.sellerId === sb.sellers.demo.id && o.status === "paid");
    await control(sb, "POST", "/_sandbox/claims", { order_id: order?.id });
    await sb.webhooks.idle();
    const claimMsg = rx.received.find((b) => b.topic === "post_purchase") as Record<string, unknown>;
    expect(claimMsg).toMatchObject({ actions: ["claims"], resource: expect.stringMatching(/^\/post-purchase\/v1\/claims\/\d+$/) });
    expect(typeof claimMsg.id).toBe("string");
  });

  it("mixes variants reproducibly under the default probabilities", async () => {
    await control(sb, "PUT", "/_sandbox/callback", { variants: { idKeyAsId: 0.5, userIdAsString: 0.5, resourceWithoutSlash: 0.5 } });
    for (let i = 0; i < 30; i++) await control(sb, "POST", `/_sandbox/items/${anyItem()}/stock`, { available_quantity: 10 + i });
    await sb.webhooks.idle();
    const kinds = new Set(rx.received.map((b) => `${"_id" in b ? "_id" : "id"}|${typeof b.user_id}|${String(b.resource).startsWith("/")}`));
    expect(kinds.size).toBeGreaterThan(3);
  });

  it("honours the topic subscription list", async () => {
    await control(sb, "PUT", "/_sandbox/callback", { topics: ["orders_v2"] });
    await control(sb, "POST", `/_sandbox/items/${anyItem()}/stock`, { available_quantity: 9 });
    await sb.webhooks.idle();
    expect(rx.received).toHaveLength(0);
    expect(sb.ctx.state.notifications.at(-1)?.skipped).toBe("topic not subscribed");
  });
});

describe("delivery, retries and missed_feeds", () => {
  it("retries non-200 answers with attempts counting up and the same id", async () => {
    rx.respond = (n) => ({ status: n <= 2 ? 500 : 200 });
    await control(sb, "POST", `/_sandbox/items/${anyItem()}/stock`, { available_quantity: 4 });
    await sb.webhooks.idle();
    expect(rx.received.map((b) => b.attempts)).toEqual([1, 2, 3]);
    expect(new Set(rx.received.map((b) => b._id)).size).toBe(1);
  });

  it("treats a 204 or an answer slower than 500 ms as not delivered", async () => {
    rx.respond = (n) => (n === 1 ? { status: 204 } : n === 2 ? { status: 200, delayMs: 700 } : { status: 200 });
    await control(sb, "POST", `/_sandbox/items/${anyItem()}/stock`, { available_quantity: 5 });
    await sb.webhooks.idle();
    expect(rx.received.map((b) => b.attempts)).toEqual([1, 2, 3]);
    const log = sb.webhooks.attempts().slice(-3);
    expect(log.map((a) => a.ok)).toEqual([false, false, true]);
    expect(log[1]?.error).toBe("timeout");
  });

  it("lists a message in /missed_feeds after 8 failed attempts, only for its seller", async () => {
    rx.respond = () => ({ status: 503 });
    await control(sb, "DELETE", "/_sandbox/missed_feeds");
    await control(sb, "POST", `/_sandbox/items/${anyItem()}/stock`, { available_quantity: 6 });
    await sb.webhooks.idle();
    expect(rx.received).toHaveLength(8);
    const seller = api(sb);
    const feeds = await seller.get(`/missed_feeds?app_id=${sb.appId}`);
    expect(feeds.status).toBe(200);
    expect(feeds.body.messages).toHaveLength(1);
    const m = feeds.body.messages[0];
    expect(m).toMatchObject({ resource: `/items/${anyItem()}`, topic: "items", user_id: sb.sellers.demo.id, attempts: 8, application_id: Number(sb.appId) });
    expect(typeof m.request.data).toBe("string");
    expect(JSON.parse(m.request.data)).toMatchObject({ topic: "items", attempts: 8 });
    expect(m.response.http_code).toBe(503);
    const other = api(sb, sb.issueToken(sb.sellers.second.id).access_token);
    expect((await other.get(`/missed_feeds?app_id=${sb.appId}`)).body.messages).toHaveLength(0);
    expect((await seller.get("/missed_feeds?app_id=123")).status).toBe(403);
    // Retention is two days.
    sb.ctx.clock.advance(2 * 24 * 3600_000 + 1000);
    try {
      // The earlier token has expired by now; a fresh one reads the pruned feed.
      expect((await api(sb).get(`/missed_feeds?app_id=${sb.appId}`)).body.messages).toHaveLength(0);
    } finally {
      sb.ctx.clock.reset();
    }
  });

  it("injects drops and duplicates from the webhook settings", async () => {
    await control(sb, "PATCH", "/_sandbox/webhooks", { duplicateRate: 1 });
    await control(sb, "POST", `/_sandbox/items/${anyItem()}/stock`, { available_quantity: 7 });
    await sb.webhooks.idle();
    expect(rx.received).toHaveLength(2);
    expect(rx.received[0]?._id).toBe(rx.received[1]?._id);
    rx.received.length = 0;
    await control(sb, "PATCH", "/_sandbox/webhooks", { duplicateRate: 0, dropRate: 1 });
    await control(sb, "POST", `/_sandbox/items/${anyItem()}/stock`, { available_quantity: 8 });
    await sb.webhooks.idle();
    expect(rx.received).toHaveLength(0);
    await control(sb, "PATCH", "/_sandbox/webhooks", { dropRate: 0 });
  });
});
