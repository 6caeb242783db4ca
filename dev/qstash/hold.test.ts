import { Client } from "@upstash/qstash";
import { describe, expect, it } from "vitest";
import { startQStashServer } from "./server";
import { useQStashFixture } from "./test-fixture";

// QSTASH_LOCAL_HOLD: everything is accepted as usual, nothing is delivered until released.
const fx = useQStashFixture({ hold: true });

const local = (path: string, init: RequestInit = {}, token = fx.qstash.token) => fetch(`${fx.qstash.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });

describe("local QStash with deliveries held", () => {
  it("accepts, deduplicates and stores messages with their retries, and delivers none until released", async () => {
    const first = await fx.client.publishJSON({ url: `${fx.stub.url}/held`, body: { n: 1 }, deduplicationId: "ml-held-1", retries: 2, headers: { "x-request-id": "r1" } });
    const again = await fx.client.publishJSON({ url: `${fx.stub.url}/held`, body: { n: 1 }, deduplicationId: "ml-held-1", retries: 2 });
    expect(again).toEqual({ messageId: first.messageId, deduplicated: true });
    const failing = await fx.client.publishJSON({ url: `${fx.stub.url}/held-failing`, body: { n: 2 }, retries: 1 });
    fx.stub.on("/held-failing", () => 500);

    const stored = await local(`/v2/messages/${first.messageId}`);
    expect(stored.status).toBe(200);
    expect(await stored.json()).toMatchObject({ messageId: first.messageId, url: `${fx.stub.url}/held`, maxRetries: 2, body: '{"n":1}' });
    expect(fx.qstash.stats()).toMatchObject({ published: 2, deduplicated: 1, attempts: 0, held: 2, pending: 2 });
    expect(fx.qstash.events().map((e) => e.state)).toEqual(["CREATED", "CREATED"]);
    expect(fx.stub.requests).toHaveLength(0);

    const released = await local("/v2/local/release", { method: "POST" });
    expect(await released.json()).toEqual({ released: 2 });

    const [delivered] = await fx.stub.waitFor("/held", 1);
    expect(delivered!.signatureError).toBeUndefined();
    expect(delivered!.body).toBe('{"n":1}');
    expect(delivered!.headers).toMatchObject({ "upstash-message-id": first.messageId, "upstash-retried": "0", "x-request-id": "r1" });
    // The configured retries still apply: one retry, then the DLQ.
    const attempts = await fx.stub.waitFor("/held-failing", 2);
    expect(attempts.map((r) => r.headers["upstash-retried"])).toEqual(["0", "1"]);
    await fx.qstash.settled();
    expect(fx.stub.requests.filter((r) => r.path === "/held")).toHaveLength(1);
    expect(fx.qstash.stats()).toMatchObject({ held: 0, pending: 0, delivered: 1, failed: 1, dlq: 1 });
    const dlq = (await (await local("/v2/dlq")).json()) as { messages: Array<{ messageId: string }> };
    expect(dlq.messages.map((m) => m.messageId)).toEqual([failing.messageId]);
  });

  it("delivers at once once released, and a second release finds nothing held", async () => {
    await fx.client.publishJSON({ url: `${fx.stub.url}/after`, body: { n: 3 } });
    const [req] = await fx.stub.waitFor("/after", 1);
    expect(req!.signatureError).toBeUndefined();
    expect(await (await local("/v2/local/release", { method: "POST" })).json()).toEqual({ released: 0 });
  });

  it("wants the QStash token to release", async () => {
    const refused = await local("/v2/local/release", { method: "POST" }, "wrong");
    expect(refused.status).toBe(401);
  });

  it("holds a cancelled message no more: it is neither delivered nor counted as held", async () => {
    const held = await startHeldServer();
    try {
      const { messageId } = await held.client.publishJSON({ url: `${fx.stub.url}/cancelled`, body: {} });
      await held.client.messages.delete(messageId);
      expect(held.server.stats()).toMatchObject({ held: 0, pending: 0, cancelled: 1 });
      expect(held.server.release()).toBe(0);
    } finally {
      await held.server.close();
    }
  });
});

async function startHeldServer() {
  const server = await startQStashServer({ port: 0, hold: true });
  return { server, client: new Client({ baseUrl: server.url, token: server.token, enableTelemetry: false, retry: false }) };
}
