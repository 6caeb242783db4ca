import { useQStashFixture } from "./test-fixture";
import { describe, expect, it } from "vitest";

const fx = useQStashFixture();

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;
const b64 = (s: unknown) => Buffer.from(String(s), "base64").toString("utf8");

describe("local QStash callbacks, cancellation and logs", () => {
  it("calls the callback with the destination's response", async () => {
    fx.stub.on("/ok", () => ({ status: 201, body: "created" }));
    const { messageId } = await fx.client.publishJSON({
      url: `${fx.stub.url}/ok`,
      body: { n: 1 },
      callback: `${fx.stub.url}/cb-ok`,
    });
    const [cb] = await fx.stub.waitFor("/cb-ok", 1);
    expect(cb!.signatureError).toBeUndefined();
    const body = json(cb!.body);
    expect(body).toMatchObject({ status: 201, sourceMessageId: messageId, retried: 0, maxRetries: 3, url: `${fx.stub.url}/ok` });
    expect(b64(body.body)).toBe("created");
    expect(b64(body.sourceBody)).toBe('{"n":1}');
  });

  it("calls the callback after every attempt and the failure callback once retries are exhausted", async () => {
    fx.stub.on("/down", () => ({ status: 500, body: "nope" }));
    const { messageId } = await fx.client.publishJSON({
      url: `${fx.stub.url}/down`,
      body: {},
      retries: 1,
      callback: `${fx.stub.url}/cb-down`,
      failureCallback: `${fx.stub.url}/failed`,
    });
    await fx.qstash.settled();
    const callbacks = fx.stub.requests.filter((r) => r.path === "/cb-down").map((r) => json(r.body));
    expect(callbacks.map((c) => [c.status, c.retried])).toEqual(
      expect.arrayContaining([
        [500, 0],
        [500, 1],
      ]),
    );
    const failures = fx.stub.requests.filter((r) => r.path === "/failed");
    expect(failures).toHaveLength(1);
    expect(failures[0]!.signatureError).toBeUndefined();
    const failure = json(failures[0]!.body);
    const [dlq] = (await fx.client.dlq.listMessages()).messages;
    expect(failure).toMatchObject({ status: 500, sourceMessageId: messageId, retried: 1, maxRetries: 1, dlqId: dlq!.dlqId });
    expect(b64(failure.body)).toBe("nope");
  });

  it("shows and cancels a pending message", async () => {
    const { messageId } = await fx.client.publishJSON({ url: `${fx.stub.url}/later`, body: { x: 1 }, delay: 30 });
    const msg = await fx.client.messages.get(messageId);
    expect(msg).toMatchObject({ messageId, url: `${fx.stub.url}/later`, body: '{"x":1}', method: "POST" });
    expect(msg.notBefore).toBeGreaterThan(Date.now() + 25_000);

    expect(await fx.client.messages.cancel(messageId)).toEqual({ cancelled: 1 });
    await fx.qstash.settled();
    await expect(fx.client.messages.get(messageId)).rejects.toMatchObject({ status: 404 });
    expect(fx.stub.requests.some((r) => r.path === "/later")).toBe(false);
  });

  it("cancels in bulk", async () => {
    const a = await fx.client.publishJSON({ url: `${fx.stub.url}/bulk`, body: 1, delay: 30 });
    const b = await fx.client.publishJSON({ url: `${fx.stub.url}/bulk`, body: 2, delay: 30 });
    expect(await fx.client.messages.cancel([a.messageId, b.messageId])).toEqual({ cancelled: 2 });
    expect(fx.qstash.stats().pending).toBe(0);
  });

  it("serves the delivery log to fx.client.logs()", async () => {
    const { messageId } = await fx.client.publishJSON({ url: `${fx.stub.url}/logged`, body: {} });
    await fx.qstash.settled();
    const { logs } = await fx.client.logs({ filter: { messageId } });
    expect(logs.map((l) => l.state)).toEqual(["DELIVERED", "ACTIVE", "CREATED"]);
    expect(logs[0]).toMatchObject({ messageId, url: `${fx.stub.url}/logged` });
  });
});
