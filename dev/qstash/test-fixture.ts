import { Client } from "@upstash/qstash";
import { afterAll, beforeAll } from "vitest";
import { startReceiverStub, type ReceiverStub } from "./receiver-stub";
import { startQStashServer, type QStashServer, type QStashServerOptions } from "./server";

export interface QStashFixture {
  qstash: QStashServer;
  stub: ReceiverStub;
  client: Client;
}

/**
 * A QStash server, a receiving endpoint that verifies signatures with the official Receiver,
 * and an official Client, shared by one test file and closed after it.
 */
export function useQStashFixture(options: Pick<QStashServerOptions, "hold"> = {}): QStashFixture {
  const fixture = {} as QStashFixture;
  beforeAll(async () => {
    fixture.qstash = await startQStashServer({ port: 0, backoffScale: 0.001, ...options });
    fixture.stub = await startReceiverStub(fixture.qstash.signingKeys);
    fixture.client = new Client({ baseUrl: fixture.qstash.url, token: fixture.qstash.token, enableTelemetry: false, retry: false });
  });
  afterAll(async () => {
    await fixture.qstash?.close();
    await fixture.stub?.close();
  });
  return fixture;
}
