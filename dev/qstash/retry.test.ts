import { useQStashFixture } from "./test-fixture";
import { beforeEach, describe, expect, it } from "vitest";

const fx = useQStashFixture();

beforeEach(async () => {
  await fx.qstash.settled();
  await fx.client.dlq.delete({ all: true });
});

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe("local QStash retries and DLQ", () => {
  it("retries a failing attempt and stops at the first 2xx", async () => {
    fx.stub.on("/fail-once", (_req, nth) => (nth === 0 ? 500 : 200));
    await fx.client.publishJSON({ url: `${fx.stub.url}/fail-once`, body: { id: "b" } });
    const reqs = await fx.stub.waitFor("/fail-once", 2);
    await fx.qstash.settled();
    expect(reqs.map((r) => r.headers["upstash-retried"])).toEqual(["0", "1"]);
    expect(reqs.every((r) => r.signatureError === undefined)).toBe(true);
    expect((await fx.client.dlq.listMessages()).messages).toHaveLength(0);
  });

  it("uses the scaled default backoff, then dead-letters with the last response", async () => {
    fx.stub.on("/always-fail", () => ({ status: 503, body: "boom", headers: { "x-reason": "maintenance" } }));
    const { messageId } = await fx.client.publishJSON({ url: `${fx.stub.url}/always-fail`, body: { id: "c" }, retries: 2 });
    await fx.qstash.settled();
    const reqs = fx.stub.requests.filter((r) => r.path === "/always-fail");
    expect(reqs.map((r) => r.headers["upstash-retried"])).toEqual(["0", "1", "2"]);
    const [g1, g2] = gaps(reqs.map((r) => r.at));
    // e^2.5 s and e^5 s scaled by 0.001: about 12 ms and 148 ms.
    expect(g1).toBeGreaterThanOrEqual(10);
    expect(g2).toBeGreaterThanOrEqual(140);

    const { messages } = await fx.client.dlq.listMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      messageId,
      url: `${fx.stub.url}/always-fail`,
      responseStatus: 503,
      responseBody: "boom",
      maxRetries: 2,
      body: '{"id":"c"}',
    });
    expect(messages[0]!.responseHeader).toMatchObject({ "X-Reason": ["maintenance"] });
    expect(
      fx.qstash
        .events()
        .filter((e) => e.messageId === messageId)
        .map((e) => e.state),
    ).toEqual(["CREATED", "ACTIVE", "ERROR", "RETRY", "ACTIVE", "ERROR", "RETRY", "ACTIVE", "FAILED"]);
  });

  it("honours an Upstash-Retry-Delay expression in milliseconds, unscaled", async () => {
    fx.stub.on("/expr", () => 500);
    await fx.client.publishJSON({ url: `${fx.stub.url}/expr`, body: {}, retries: 2, retryDelay: "100 * pow(2, retried)" });
    await fx.qstash.settled();
    const [g1, g2] = gaps(fx.stub.requests.filter((r) => r.path === "/expr").map((r) => r.at));
    // Scaled like the default backoff, these would be 0.1 ms and 0.2 ms.
    expect(g1).toBeGreaterThanOrEqual(95);
    expect(g2).toBeGreaterThanOrEqual(195);
  });

  it("treats an Upstash-Timeout overrun as a failure", async () => {
    fx.stub.on("/hang", () => ({ status: 200, delayMs: 1500 }));
    await fx.client.publishJSON({ url: `${fx.stub.url}/hang`, body: {}, retries: 0, timeout: "1s" });
    await fx.qstash.settled(3000);
    const { messages } = await fx.client.dlq.listMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ url: `${fx.stub.url}/hang`, error: expect.stringMatching(/timed out/) });
    expect(messages[0]!.responseStatus).toBeUndefined();
  });

  it("retries, gets and deletes DLQ messages through the SDK", async () => {
    let healthy = false;
    fx.stub.on("/flaky", () => (healthy ? 200 : 500));
    for (const id of [1, 2, 3]) await fx.client.publishJSON({ url: `${fx.stub.url}/flaky`, body: { id }, retries: 0 });
    await fx.qstash.settled();
    const { messages } = await fx.client.dlq.listMessages();
    expect(messages).toHaveLength(3);

    const one = await fx.client.dlq.listMessages({ dlqIds: [messages[0]!.dlqId] });
    expect(one.messages.map((m) => m.dlqId)).toEqual([messages[0]!.dlqId]);

    healthy = true;
    const retried = await fx.client.dlq.retry(messages[0]!.dlqId);
    expect(retried.responses).toHaveLength(1);
    expect(retried.responses[0]!.messageId).not.toBe(messages[0]!.messageId);
    await fx.qstash.settled();
    const redelivered = fx.stub.requests.filter((r) => r.headers["upstash-message-id"] === retried.responses[0]!.messageId);
    expect(redelivered).toHaveLength(1);
    expect(redelivered[0]!.headers["upstash-retried"]).toBe("0");

    await fx.client.dlq.delete(messages[1]!.dlqId);
    expect((await fx.client.dlq.listMessages()).messages.map((m) => m.dlqId)).toEqual([messages[2]!.dlqId]);
    expect(await fx.client.dlq.delete({ all: true })).toMatchObject({ deleted: 1 });
    expect((await fx.client.dlq.listMessages()).messages).toHaveLength(0);
  });

  it("answers 404 for an unknown DLQ id", async () => {
    const res = await fetch(`${fx.qstash.url}/v2/dlq/dlq_nope`, { headers: { authorization: `Bearer ${fx.qstash.token}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty("error");
  });
});
