import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startTinySandbox, type TinySandbox, type TinySandboxOptions } from "./index";

// Shared by the sandbox's own tests: a started sandbox with a token, a tiny HTTP client that
// returns status, headers and parsed JSON, and a webhook receiver whose answers can be scripted.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary API bodies field by field
export type Json = any;

function parseText(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

export interface TestSandbox {
  sb: TinySandbox;
  token: string;
  api<T = Json>(method: string, path: string, body?: unknown, token?: string): Promise<ApiResponse<T>>;
  control<T = Json>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>>;
}

async function request<T>(url: string, method: string, body: unknown, headers: Record<string, string>): Promise<ApiResponse<T>> {
  const res = await fetch(url, {
    method,
    headers: { ...headers, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: parseText(text) as T, text };
}

/** Quotas are off unless a test asks for them, so unrelated tests never see a 429. */
export async function startTestSandbox(opts: TinySandboxOptions = {}): Promise<TestSandbox> {
  const sb = await startTinySandbox({ port: 0, products: 20, quotas: { enabled: false }, ...opts });
  const { access_token } = await sb.issueTokens();
  return {
    sb,
    token: access_token,
    api: (method, path, body, token = access_token) => request(`${sb.apiUrl}${path}`, method, body, { authorization: `Bearer ${token}` }),
    control: (method, path, body) => request(`${sb.url}/_sandbox${path}`, method, body, {}),
  };
}

export interface ReceivedHook {
  body: Json;
  headers: IncomingMessage["headers"];
  at: number;
}

export interface HookReceiver {
  url: string;
  received: ReceivedHook[];
  /** Status to answer for the n-th request (0-based); default 200. */
  respond: (n: number) => number;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedHook[]>;
  close(): Promise<void>;
}

export async function startHookReceiver(respond: (n: number) => number = () => 200): Promise<HookReceiver> {
  const received: ReceivedHook[] = [];
  const receiver: HookReceiver = {
    url: "",
    received,
    respond,
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} webhook requests, got ${received.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return received;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    let data = "";
    req.on("data", (c: Buffer) => (data += c.toString()));
    req.on("end", () => {
      const n = received.length;
      received.push({ body: data ? JSON.parse(data) : null, headers: req.headers, at: Date.now() });
      res.writeHead(receiver.respond(n), { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tiny?secret=s3cr3t`;
  return receiver;
}

/** First seeded product with stock, as tests need a sellable item. */
export function firstStockedProduct(sb: TinySandbox): { id: number; sku: string; saldo: number } {
  const state = sb.state();
  for (const p of state.products.values()) {
    const saldo = [...(state.stock.get(p.id)?.values() ?? [])].reduce((a, b) => a + b, 0);
    if (saldo >= 5 && p.tipo === "S") return { id: p.id, sku: p.sku, saldo };
  }
  throw new Error("no stocked product in seed");
}

export function firstContactId(sb: TinySandbox): number {
  const id = sb.state().contacts.keys().next().value;
  if (id === undefined) throw new Error("no contact in seed");
  return id;
}
