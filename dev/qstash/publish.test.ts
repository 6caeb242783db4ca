import { Client, QstashError } from "@upstash/qstash";
import { useQStashFixture } from "./test-fixture";
import { describe, expect, it } from "vitest";

const fx = useQStashFixture();

describe("local QStash publish", () => {
  it("delivers a signed message the official Receiver verifies, with QStash's headers", async () => {
    const res = await fx.client.publishJSON({
      url: `${fx.stub.url}/signed`,
      body: { id: "a", text: "héllo" },
      headers: { "x-ml-topic": "orders_v2" },
    });
    const [req] = await fx.stub.waitFor("/signed", 1);
    expect(req!.signatureError).toBeUndefined();
    expect(req!.method).toBe("POST");
    expect(req!.body).toBe('{"id":"a","text":"héllo"}');
    expect(req!.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "Upstash-QStash",
      "upstash-message-id": res.messageId,
      "upstash-retried": "0",
      "x-ml-topic": "orders_v2",
    });
    await expect(fx.stub.receiver.verify({ signature: req!.headers["upstash-signature"] as string, body: `${req!.body}x` })).rejects.toThrow(/body hash/);
  });

  it("passes the body through byte for byte and honours Upstash-Method", async () => {
    const body = '  {"keep": "spacing"}\n\u00e9';
    await fx.client.publish({ url: `${fx.stub.url}/raw?a=1&b=%20`, body, method: "PUT", headers: { "content-type": "text/plain" } });
    const [req] = await fx.stub.waitFor("/raw?a=1&b=%20", 1);
    expect(req!.rawBody.equals(Buffer.from(body))).toBe(true);
    expect(req!.method).toBe("PUT");
    expect(req!.headers["content-type"]).toBe("text/plain");
    expect(req!.signatureError).toBeUndefined();
  });

  it("deduplicates by id and by content within the window", async () => {
    const first = await fx.client.publishJSON({ url: `${fx.stub.url}/dedup`, body: { n: 1 }, deduplicationId: "ml-123" });
    const again = await fx.client.publishJSON({ url: `${fx.stub.url}/dedup`, body: { n: 2 }, deduplicationId: "ml-123" });
    expect(again).toEqual({ messageId: first.messageId, deduplicated: true });

    const c1 = await fx.client.publishJSON({ url: `${fx.stub.url}/dedup`, body: { n: 3 }, contentBasedDeduplication: true });
    const c2 = await fx.client.publishJSON({ url: `${fx.stub.url}/dedup`, body: { n: 3 }, contentBasedDeduplication: true });
    const c3 = await fx.client.publishJSON({ url: `${fx.stub.url}/dedup`, body: { n: 4 }, contentBasedDeduplication: true });
    expect(c2).toEqual({ messageId: c1.messageId, deduplicated: true });
    expect(c3.messageId).not.toBe(c1.messageId);
    await fx.qstash.settled();
    expect(fx.stub.requests.filter((r) => r.path === "/dedup").map((r) => r.body)).toEqual(expect.arrayContaining(['{"n":1}', '{"n":3}', '{"n":4}']));
    expect(fx.stub.requests.filter((r) => r.path === "/dedup")).toHaveLength(3);
  });

  it("waits for Upstash-Delay and Upstash-Not-Before", async () => {
    const start = Date.now();
    await fx.client.publishJSON({ url: `${fx.stub.url}/delayed`, body: {}, delay: 1 });
    await fx.client.publishJSON({ url: `${fx.stub.url}/not-before`, body: {}, notBefore: Math.ceil(start / 1000) + 1 });
    const [delayed] = await fx.stub.waitFor("/delayed", 1, 3000);
    const [notBefore] = await fx.stub.waitFor("/not-before", 1, 3000);
    expect(delayed!.at - start).toBeGreaterThanOrEqual(990);
    expect(notBefore!.at).toBeGreaterThanOrEqual((Math.ceil(start / 1000) + 1) * 1000 - 10);
  });

  it("publishes batches with per-message headers", async () => {
    const res = await fx.client.batchJSON([
      { url: `${fx.stub.url}/batch`, body: { i: 1 }, headers: { "x-i": "1" } },
      { url: `${fx.stub.url}/batch`, body: { i: 2 }, headers: { "x-i": "2" }, method: "PATCH" },
    ]);
    expect(res).toHaveLength(2);
    const reqs = await fx.stub.waitFor("/batch", 2);
    const byI = new Map(reqs.map((r) => [r.headers["x-i"], r]));
    expect(byI.get("1")?.body).toBe('{"i":1}');
    expect(byI.get("2")?.method).toBe("PATCH");
    expect(reqs.every((r) => r.signatureError === undefined)).toBe(true);
  });

  it("delivers concurrently, so one slow destination does not hold up others", async () => {
    fx.stub.on("/slow", () => ({ status: 200, delayMs: 1200 }));
    await fx.client.publishJSON({ url: `${fx.stub.url}/slow`, body: {} });
    await fx.stub.waitFor("/slow", 1);
    await fx.client.publishJSON({ url: `${fx.stub.url}/fast`, body: {} });
    const [fast] = await fx.stub.waitFor("/fast", 1);
    const [slow] = await fx.stub.waitFor("/slow", 1);
    // Serialised delivery would hold /fast until /slow answers, 1200 ms later.
    expect(fast!.at - slow!.at).toBeLessThan(800);
    await fx.qstash.settled();
  });

  it("serves the signing keys at /v2/keys", async () => {
    const res = await fetch(`${fx.qstash.url}/v2/keys`, { headers: { authorization: `Bearer ${fx.qstash.token}` } });
    expect(await res.json()).toEqual(fx.qstash.signingKeys);
  });

  it("rejects a bad token with 401 and accepts ?qstash_token=", async () => {
    const bad = new Client({ baseUrl: fx.qstash.url, token: "wrong", enableTelemetry: false, retry: false });
    const err = await bad.publishJSON({ url: `${fx.stub.url}/x`, body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QstashError);
    expect((err as QstashError).status).toBe(401);

    const ok = await fetch(`${fx.qstash.url}/v2/keys?qstash_token=${encodeURIComponent(fx.qstash.token)}`);
    expect(ok.status).toBe(200);
  });

  it.each([
    ["a URL group", "my-group", {}, /URL groups/],
    ["a bad retry delay", "http://127.0.0.1:9/x", { "Upstash-Retry-Delay": "while(1)" }, /Retry-Delay/],
    ["a bad delay", "http://127.0.0.1:9/x", { "Upstash-Delay": "later" }, /Upstash-Delay/],
  ])("answers 400 {error} for %s", async (_label, dest, headers, message) => {
    const res = await fetch(`${fx.qstash.url}/v2/publish/${dest}`, {
      method: "POST",
      headers: { authorization: `Bearer ${fx.qstash.token}`, ...headers },
      body: "x",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it("answers 404 {error} for unimplemented endpoints", async () => {
    const res = await fetch(`${fx.qstash.url}/v2/schedules`, { headers: { authorization: `Bearer ${fx.qstash.token}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty("error");
  });

  it("is found by the SDK's QSTASH_DEV mode instead of a downloaded binary", async () => {
    const previous = process.env.QSTASH_DEV_PORT;
    process.env.QSTASH_DEV_PORT = String(fx.qstash.port);
    try {
      const dev = new Client({ devMode: true, enableTelemetry: false, retry: false });
      const res = await dev.publishJSON({ url: `${fx.stub.url}/dev-mode`, body: {} });
      const [req] = await fx.stub.waitFor("/dev-mode", 1);
      expect(req!.headers["upstash-message-id"]).toBe(res.messageId);
    } finally {
      if (previous === undefined) delete process.env.QSTASH_DEV_PORT;
      else process.env.QSTASH_DEV_PORT = previous;
    }
  });

  it("counts what happened", () => {
    expect(fx.qstash.stats()).toMatchObject({ deduplicated: 2, pending: 0 });
    expect(fx.qstash.events().some((e) => e.state === "DELIVERED")).toBe(true);
  });
});
