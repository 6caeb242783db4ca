import { Client } from "@upstash/qstash";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

const json = (body: string) => JSON.parse(body) as Record<string, unknown>;
const b64 = (s: unknown) => Buffer.from(String(s), "base64").toString("utf8");

describe("local QStash callbacks, cancellation and logs", () => {
  it("calls the callback with the destination's response", async () => {
    stub.on("/ok", () => ({ status: 201, body: "created" }));
    const { messageId } = await client.publishJSON({
      url: `${stub.url}/ok`,
      body: { n: 1 },
      callback: `${stub.url}/cb-ok`,
    });
    const [cb] = await stub.waitFor("/cb-ok", 1);
    expect(cb!.signatureError).toBeUndefined();
    const body = json(cb!.body);
    expect(body).toMatchObject({ status: 201, sourceMessageId: messageId, retried: 0, maxRetries: 3, url: `${stub.url}/ok` });
    expect(b64(body.body)).toBe("created");
    expect(b64(body.sourceBody)).toBe('{"n":1}');
  });

  it("calls the callback after every attempt and the failure callback once retries are exhausted", async () => {
    stub.on("/down", () => ({ status: 500, body: "nope" }));
    const { messageId } = await client.publishJSON({
      url: `${stub.url}/down`,
      body: {},
      retries: 1,
      callback: `${stub.url}/cb-down`,
      failureCallback: `${stub.url}/failed`,
    });
    await qstash.settled();
    const callbacks = stub.requests.filter((r) => r.path === "/cb-down").map((r) => json(r.body));
    expect(callbacks.map((c) => [c.status, c.retried])).toEqual(
      expect.arrayContaining([
        [500, 0],
        [500, 1],
      ]),
    );
    const failures = stub.requests.filter((r) => r.path === "/failed");
    expect(failures).toHaveLength(1);
    expect(failures[0]!.signatureError).toBeUndefined();
    const failure = json(failures[0]!.body);
    const [dlq] = (await client.dlq.listMessages()).messages;
    expect(failure).toMatchObject({ status: 500, sourceMessageId: messageId, retried: 1, maxRetries: 1, dlqId: dlq!.dlqId });
    expect(b64(failure.body)).toBe("nope");
  });

  it("shows and cancels a pending message", async () => {
    const { messageId } = await client.publishJSON({ url: `${stub.url}/later`, body: { x: 1 }, delay: 30 });
    const msg = await client.messages.get(messageId);
    expect(msg).toMatchObject({ messageId, url: `${stub.url}/later`, body: '{"x":1}', method: "POST" });
    expect(msg.notBefore).toBeGreaterThan(Date.now() + 25_000);

    expect(await client.messages.cancel(messageId)).toEqual({ cancelled: 1 });
    await qstash.settled();
    await expect(client.messages.get(messageId)).rejects.toMatchObject({ status: 404 });
    expect(stub.requests.some((r) => r.path === "/later")).toBe(false);
  });

  it("cancels in bulk", async () => {
    const a = await client.publishJSON({ url: `${stub.url}/bulk`, body: 1, delay: 30 });
    const b = await client.publishJSON({ url: `${stub.url}/bulk`, body: 2, delay: 30 });
    expect(await client.messages.cancel([a.messageId, b.messageId])).toEqual({ cancelled: 2 });
    expect(qstash.stats().pending).toBe(0);
  });

  it("serves the delivery log to client.logs()", async () => {
    const { messageId } = await client.publishJSON({ url: `${stub.url}/logged`, body: {} });
    await qstash.settled();
    const { logs } = await client.logs({ filter: { messageId } });
    expect(logs.map((l) => l.state)).toEqual(["DELIVERED", "ACTIVE", "CREATED"]);
    expect(logs[0]).toMatchObject({ messageId, url: `${stub.url}/logged` });
  });
});
