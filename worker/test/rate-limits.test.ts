import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PROVIDER_ROUTES } from "../src/middleware/rate-limit";
import { api, freshIp, registerUser, type ApiResponse } from "./support/api";

const stack = env as unknown as Record<string, string>;
// One bindings object per configuration: the Worker caches its config (and Redis client) per object.
const tight = { ...stack, API_RATE_LIMIT_PER_MINUTE: "5", API_PROVIDER_RATE_LIMIT_PER_MINUTE: "2" };
// Nothing listens on port 9: every Upstash call fails to connect.
const upstashDown = { ...stack, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" };

function expectProblem(response: ApiResponse, status: number) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  expect(response.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
}

describe("per-user rate limits on authenticated endpoints", () => {
  it("answers 429 problem+json with Retry-After once a user's budget is spent, on every route, and only for that user", async () => {
    const a = await registerUser();
    const b = await registerUser();
    for (let i = 0; i < 5; i++) expect((await api("/auth/me", { token: a.accessToken, bindings: tight })).status).toBe(200);
    const refused = await api("/auth/me", { token: a.accessToken, bindings: tight });
    expectProblem(refused, 429);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expectProblem(await api("/ml/accounts", { token: a.accessToken, bindings: tight }), 429);
    expectProblem(await api(`/users/${a.user.id}`, { token: a.accessToken, bindings: tight }), 429);

    expect((await api("/auth/me", { token: b.accessToken, bindings: tight })).status).toBe(200);
  });

  it("gives the routes that spend a provider's quota a tighter budget of their own", async () => {
    const a = await registerUser();
    const live = `/ml/listings/MLB${Math.floor(Math.random() * 1e10)}?refresh=true`;
    // No such listing (404), but each call is counted before the handler runs.
    for (let i = 0; i < 2; i++) expect((await api(live, { token: a.accessToken, bindings: tight })).status).toBe(404);
    expectProblem(await api(live, { token: a.accessToken, bindings: tight }), 429);
    // Reading the stored listing spends no quota: only the general budget (4 of 5 now).
    expect((await api(live.replace("?refresh=true", ""), { token: a.accessToken, bindings: tight })).status).toBe(404);
    // The provider budget is one for all such routes.
    expectProblem(await api("/tinyerp/products/sync", { method: "POST", json: {}, token: a.accessToken, bindings: tight }), 429);
  });

  it("names only routes the API has", async () => {
    const doc = await api<{ paths: Record<string, Record<string, unknown>> }>("/openapi.json");
    for (const route of PROVIDER_ROUTES) {
      const path = route.path.replace(/:(\w+)/g, "{$1}");
      expect({ route, documented: Object.keys(doc.body.paths[path] ?? {}).includes(route.method.toLowerCase()) }).toEqual({ route, documented: true });
    }
  });
});

describe("when Upstash cannot be reached", () => {
  it("every rate-limited endpoint answers 503 problem+json with Retry-After, never 500", async () => {
    const user = await registerUser();
    const newEmail = `down-${crypto.randomUUID()}@example.com`;
    const json = (body: unknown) => ({ method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" }, ip: freshIp(), bindings: upstashDown });
    const mlNotification = {
      _id: crypto.randomUUID(),
      resource: "/orders/2000000001",
      user_id: 1,
      topic: "orders_v2",
      application_id: Number(stack.ML_APP_ID),
      attempts: 1,
      sent: new Date().toISOString(),
    };
    const calls: Record<string, Promise<ApiResponse>> = {
      login: api("/auth/login", json({ email: user.user.email, password: user.password })),
      register: api("/auth/register", json({ email: newEmail, password: "long enough pw" })),
      me: api("/auth/me", { token: user.accessToken, bindings: upstashDown }),
      changeUser: api(`/users/${user.user.id}`, { method: "PUT", json: { name: "Down" }, token: user.accessToken, bindings: upstashDown }),
      mlWebhook: api("/webhooks/ml", json(mlNotification)),
      tinyWebhook: api(`/webhooks/tinyerp/${"A".repeat(43)}`, json({})),
      tinyProbe: api(`/webhooks/tinyerp/${"A".repeat(43)}`, { ip: freshIp(), bindings: upstashDown }),
    };
    for (const [name, call] of Object.entries(calls)) {
      const response = await call;
      expect({ name, status: response.status }).toEqual({ name, status: 503 });
      expectProblem(response, 503);
    }
    // Refused before anything was written: the sign-up made no account.
    const login = await api("/auth/login", { method: "POST", json: { email: newEmail, password: "long enough pw" }, ip: freshIp() });
    expect(login.status).toBe(401);
  });
});
