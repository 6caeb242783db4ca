import { Client } from "@upstash/qstash";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startReceiverStub, type ReceiverStub } from "./receiver-stub";
import { startQStashServer, type QStashServer } from "./server";

let qstash: QStashServer;
let stub: ReceiverStub;
let client: Client;

beforeAll(async () => {
  qstash = await startQStashServer({ port: 0, backoffScale: 0.001 });
  stub = await startReceiverStub(qstash.signingKeys);
  client = new Client({ baseUrl: qstash.url, token: qstash.token, enableTelemetry: false, retry: false });
});

afterAll(async () => {
  await qstash?.close();
  await stub?.close();
});

beforeEach(async () => {
  await qstash.settled();
  await client.dlq.delete({ all: true });
});

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe("local QStash retries and DLQ", () => {
  it("retries a failing attempt and stops at the first 2xx", async () => {
    stub.on("/fail-once", (_req, nth) => (nth === 0 ? 500 : 200));
    await client.publishJSON({ url: `${stub.url}/fail-once`, body: { id: "b" } });
    const reqs = await stub.waitFor("/fail-once", 2);
    await qstash.settled();
    expect(reqs.map((r) => r.headers["upstash-retried"])).toEqual(["0", "1"]);
    expect(reqs.every((r) => r.signatureError === undefined)).toBe(true);
    expect((await client.dlq.listMessages()).messages).toHaveLength(0);
  });

  it("uses the scaled default backoff, then dead-letters with the last response", async () => {
    stub.on("/always-fail", () => ({ status: 503, body: "boom", headers: { "x-reason": "maintenance" } }));
    const { messageId } = await client.publishJSON({ url: `${stub.url}/always-fail`, body: { id: "c" }, retries: 2 });
    await qstash.settled();
    const reqs = stub.requests.filter((r) => r.path === "/always-fail");
    expect(reqs.map((r) => r.headers["upstash-retried"])).toEqual(["0", "1", "2"]);
    const [g1, g2] = gaps(reqs.map((r) => r.at));
    // e^2.5 s and e^5 s scaled by 0.001: about 12 ms and 148 ms.
    expect(g1).toBeGreaterThanOrEqual(10);
    expect(g2).toBeGreaterThanOrEqual(140);

    const { messages } = await client.dlq.listMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      messageId,
      url: `${stub.url}/always-fail`,
      responseStatus: 503,
      responseBody: "boom",
      maxRetries: 2,
      body: '{"id":"c"}',
    });
    expect(messages[0]!.responseHeader).toMatchObject({ "X-Reason": ["maintenance"] });
    expect(qstash.events().filter((e) => e.messageId === messageId).map((e) => e.state)).toEqual([
      "CREATED",
      "ACTIVE",
      "ERROR",
      "RETRY",
      "ACTIVE",
      "ERROR",
      "RETRY",
      "ACTIVE",
      "FAILED",
    ]);
  });

  it("honours an Upstash-Retry-Delay expression in milliseconds, unscaled", async () => {
    stub.on("/expr", () => 500);
    await client.publishJSON({ url: `${stub.url}/expr`, body: {}, retries: 2, retryDelay: "100 * pow(2, retried)" });
    await qstash.settled();
    const [g1, g2] = gaps(stub.requests.filter((r) => r.path === "/expr").map((r) => r.at));
    // Scaled like the default backoff, these would be 0.1 ms and 0.2 ms.
    expect(g1).toBeGreaterThanOrEqual(95);
    expect(g2).toBeGreaterThanOrEqual(195);
  });

  it("treats an Upstash-Timeout overrun as a failure", async () => {
    stub.on("/hang", () => ({ status: 200, delayMs: 1500 }));
    await client.publishJSON({ url: `${stub.url}/hang`, body: {}, retries: 0, timeout: "1s" });
    await qstash.settled(3000);
    const { messages } = await client.dlq.listMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ url: `${stub.url}/hang`, error: expect.stringMatching(/timed out/) });
    expect(messages[0]!.responseStatus).toBeUndefined();
  });

  it("retries, gets and deletes DLQ messages through the SDK", async () => {
    let healthy = false;
    stub.on("/flaky", () => (healthy ? 200 : 500));
    for (const id of [1, 2, 3]) await client.publishJSON({ url: `${stub.url}/flaky`, body: { id }, retries: 0 });
    await qstash.settled();
    const { messages } = await client.dlq.listMessages();
    expect(messages).toHaveLength(3);

    const one = await client.dlq.listMessages({ dlqIds: [messages[0]!.dlqId] });
    expect(one.messages.map((m) => m.dlqId)).toEqual([messages[0]!.dlqId]);

    healthy = true;
    const retried = await client.dlq.retry(messages[0]!.dlqId);
    expect(retried.responses).toHaveLength(1);
    expect(retried.responses[0]!.messageId).not.toBe(messages[0]!.messageId);
    await qstash.settled();
    const redelivered = stub.requests.filter((r) => r.headers["upstash-message-id"] === retried.responses[0]!.messageId);
    expect(redelivered).toHaveLength(1);
    expect(redelivered[0]!.headers["upstash-retried"]).toBe("0");

    await client.dlq.delete(messages[1]!.dlqId);
    expect((await client.dlq.listMessages()).messages.map((m) => m.dlqId)).toEqual([messages[2]!.dlqId]);
    expect(await client.dlq.delete({ all: true })).toMatchObject({ deleted: 1 });
    expect((await client.dlq.listMessages()).messages).toHaveLength(0);
  });

  it("answers 404 for an unknown DLQ id", async () => {
    const res = await fetch(`${qstash.url}/v2/dlq/dlq_nope`, { headers: { authorization: `Bearer ${qstash.token}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty("error");
  });
});
