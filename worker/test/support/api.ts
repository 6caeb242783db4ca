import { exports } from "cloudflare:workers";

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
  init: { method?: string; json?: unknown; body?: BodyInit; token?: string; headers?: Record<string, string>; ip?: string } = {},
): Promise<ApiResponse<T>> {
  const headers = new Headers(init.headers);
  headers.set("cf-connecting-ip", init.ip ?? "192.0.2.1");
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  const response = await exports.default.fetch(new Request(`http://api.test${path}`, { method: init.method ?? "GET", headers, body }));
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

export async function registerUser(overrides: { email?: string; password?: string; name?: string } = {}): Promise<Session> {
  const email = overrides.email ?? `user-${crypto.randomUUID()}@example.com`;
  const password = overrides.password ?? "correct horse battery";
  const response = await api<Omit<Session, "password">>("/auth/register", {
    method: "POST",
    json: { email, password, ...(overrides.name ? { name: overrides.name } : {}) },
    ip: freshIp(),
  });
  if (response.status !== 201) throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
  return { ...response.body, password };
}

export function problemFields(body: unknown): string[] {
  return ((body as { errors?: { path: string }[] }).errors ?? []).map((error) => error.path);
}
