import { createExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import worker from "../../src/index";

/**
 * A distinct client address per call, so rate-limit counters of one test never touch another's
 * (test files run in separate isolates, so a module-level counter would repeat across files).
 */
export function freshIp(): string {
  const hex = crypto.randomUUID().replaceAll("-", "");
  return `2001:db8:${hex.slice(0, 4)}:${hex.slice(4, 8)}:${hex.slice(8, 12)}:${hex.slice(12, 16)}:${hex.slice(16, 20)}:${hex.slice(20, 24)}`;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export async function api<T = Record<string, unknown>>(
  path: string,
  init: {
    method?: string;
    json?: unknown;
    body?: BodyInit;
    token?: string;
    headers?: Record<string, string>;
    ip?: string;
    /** Other bindings than the test stack's (one object per configuration: the Worker caches its config per object). */
    bindings?: Record<string, string>;
  } = {},
): Promise<ApiResponse<T>> {
  const headers = new Headers(init.headers);
  headers.set("cf-connecting-ip", init.ip ?? "192.0.2.1");
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  const request = new Request(`http://api.test${path}`, { method: init.method ?? "GET", headers, body });
  const response = init.bindings ? await worker.fetch(request, init.bindings, createExecutionContext()) : await exports.default.fetch(request);
  const text = await response.text();
  let parsed: unknown = text;
  if (text && (response.headers.get("content-type") ?? "").includes("json")) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export interface Session {
  user: { id: string; email: string; name: string | null };
  accessToken: string;
  refreshToken: string;
  password: string;
}

/** Signs up, then logs in: sign-up answers the same for every email, so the session comes from the login. */
export async function registerUser(overrides: { email?: string; password?: string; name?: string } = {}): Promise<Session> {
  const email = overrides.email ?? `user-${crypto.randomUUID()}@example.com`;
  const password = overrides.password ?? "correct horse battery";
  const registered = await api("/auth/register", {
    method: "POST",
    json: { email, password, ...(overrides.name ? { name: overrides.name } : {}) },
    ip: freshIp(),
  });
  if (registered.status !== 202) throw new Error(`register failed: ${registered.status} ${JSON.stringify(registered.body)}`);
  const response = await api<Omit<Session, "password">>("/auth/login", { method: "POST", json: { email, password }, ip: freshIp() });
  if (response.status !== 200) throw new Error(`login after register failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { ...response.body, password };
}

export function problemFields(body: unknown): string[] {
  return ((body as { errors?: { path: string }[] }).errors ?? []).map((error) => error.path);
}
