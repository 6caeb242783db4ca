import { Hono } from "hono";
import { listen, type RunningServer } from "../common";
import { startMlSandbox, type MlSandbox, type MlSandboxOptions } from "./index";

// Shared by the ML sandbox tests: a sandbox on a random port plus a tiny typed HTTP client.

// Tests index freely into ML payloads; a loose type keeps the assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export interface Api {
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: Loose; headers: Headers }>;
  put(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: Loose; headers: Headers }>;
  post(path: string, body: unknown): Promise<{ status: number; body: Loose; headers: Headers }>;
  token: string;
}

export async function startTestSandbox(opts: MlSandboxOptions = {}): Promise<MlSandbox> {
  return startMlSandbox({ port: 0, listings: 60, orders: 30, anchor: Date.UTC(2026, 10, 1), ...opts });
}

async function call(url: string, init: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Non-JSON bodies (HTML, PDFs) are returned as text.
  }
  return { status: res.status, body: body as Loose, headers: res.headers };
}

export function api(sb: MlSandbox, token?: string): Api {
  const t = token ?? sb.issueToken().access_token;
  const auth = { authorization: `Bearer ${t}` };
  return {
    token: t,
    get: (path, headers = {}) => call(sb.url + path, { headers: { ...auth, ...headers } }),
    put: (path, body, headers = {}) => call(sb.url + path, { method: "PUT", headers: { ...auth, "content-type": "application/json", ...headers }, body: JSON.stringify(body) }),
    post: (path, body) => call(sb.url + path, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(body) }),
  };
}

export async function control(sb: MlSandbox, method: string, path: string, body?: unknown) {
  return call(sb.url + path, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
}

export interface Receiver extends RunningServer {
  received: Array<Record<string, unknown>>;
  /** Decide the reply per request (status and delay); default 200 at once. */
  respond: (n: number, body: Record<string, unknown>) => { status: number; delayMs?: number };
}

export async function startReceiver(): Promise<Receiver> {
  const app = new Hono();
  const receiver = {
    received: [] as Array<Record<string, unknown>>,
    respond: () => ({ status: 200 }),
  } as unknown as Receiver;
  app.post("/ml/notifications", async (c) => {
    const body = (await c.req.json()) as Record<string, unknown>;
    receiver.received.push(body);
    const { status, delayMs } = receiver.respond(receiver.received.length, body);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return status === 204 ? c.body(null, 204) : c.text("ok", status as 200);
  });
  const server = await listen(app.fetch, { port: 0 });
  return Object.assign(receiver, server, { url: `${server.url}/ml/notifications` });
}
