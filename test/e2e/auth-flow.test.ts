import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropDatabase } from "#db/migrate";
import { isolatedStackConfig } from "#dev/stack/config";
import { deleteKeysWithPrefix } from "#dev/stack/redis-keys";
import { startStack, type RunningStack } from "#dev/stack/start";

/**
 * Boots the stack exactly as `npm run dev` does (wrangler dev, the jobs process, the local
 * stand-ins and sandboxes) on free ports with its own database and key prefix, and drives it
 * over HTTP as a dashboard would.
 */
let stack: RunningStack;
let config: Awaited<ReturnType<typeof isolatedStackConfig>>;

beforeAll(async () => {
  config = await isolatedStackConfig();
  stack = await startStack({ ...config, sandbox: { ...config.sandbox, listings: 20, orders: 5, products: 20 } }, { quiet: true, readyTimeoutMs: 90_000 });
}, 120_000);

afterAll(async () => {
  // startStack stops what it started when it fails; the database and keys are ours to remove either way.
  await stack?.stop();
  if (!config) return;
  await dropDatabase(config.databaseUrl);
  await deleteKeysWithPrefix(config.redisUrl, config.redisKeyPrefix);
}, 60_000);

interface AuthBody {
  user: { id: string };
  accessToken: string;
  refreshToken: string;
  id?: string;
  email?: string;
  name?: string;
}

async function call(path: string, init: { method?: string; json?: unknown; token?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.json !== undefined) headers["content-type"] = "application/json";
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${stack.urls.worker}${path}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as AuthBody };
}

describe("the local stack, end to end", () => {
  it("serves /health on the Worker and on jobs with database and Redis ok", async () => {
    for (const base of [stack.urls.worker, stack.urls.jobs]) {
      const response = await fetch(`${base}/health`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { checks: Record<string, { ok: boolean }> };
      expect(body.checks.database!.ok).toBe(true);
      expect(body.checks.redis!.ok).toBe(true);
    }
  });

  it("register → login → me → update → refresh → logout → delete", async () => {
    const email = `e2e-${Date.now()}@example.com`;
    const registered = await call("/auth/register", { method: "POST", json: { email, password: "first password", name: "E2E" } });
    expect(registered.status).toBe(202);

    const login = await call("/auth/login", { method: "POST", json: { email, password: "first password" } });
    expect(login.status).toBe(200);
    const userId = login.body.user.id;
    const otherSession = await call("/auth/login", { method: "POST", json: { email, password: "first password" } });
    let access = login.body.accessToken;
    let refresh = login.body.refreshToken;

    const me = await call("/auth/me", { token: access });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: userId, email, name: "E2E" });

    const updated = await call(`/users/${userId}`, {
      method: "PUT",
      token: access,
      json: { name: "Renamed", currentPassword: "first password", newPassword: "second password" },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.name).toBe("Renamed");
    // The password change ended the user's other session.
    expect((await call("/auth/me", { token: otherSession.body.accessToken })).status).toBe(401);

    const refreshed = await call("/auth/refresh", { method: "POST", json: { refreshToken: refresh } });
    expect(refreshed.status).toBe(200);
    access = refreshed.body.accessToken;
    refresh = refreshed.body.refreshToken;
    expect((await call("/auth/me", { token: access })).status).toBe(200);

    expect((await call("/auth/logout", { method: "POST", token: access })).status).toBe(204);
    expect((await call("/auth/me", { token: access })).status).toBe(401);
    expect((await call("/auth/refresh", { method: "POST", json: { refreshToken: refresh } })).status).toBe(401);

    const again = await call("/auth/login", { method: "POST", json: { email, password: "second password" } });
    expect(again.status).toBe(200);
    expect((await call(`/users/${userId}`, { method: "DELETE", token: again.body.accessToken, json: { currentPassword: "second password" } })).status).toBe(204);
    expect((await call("/auth/login", { method: "POST", json: { email, password: "second password" } })).status).toBe(401);
  });

  it("protects Bull Board with admin credentials, on the admin listener only", async () => {
    expect((await fetch(`${stack.urls.jobs}/admin/queues`)).status).toBe(404);
    expect((await fetch(`${stack.urls.jobsAdmin}/admin/queues`)).status).toBe(401);
    const { adminUsername, adminPassword } = stack.config;
    const authorised = await fetch(`${stack.urls.jobsAdmin}/admin/queues`, {
      headers: { authorization: `Basic ${Buffer.from(`${adminUsername}:${adminPassword}`).toString("base64")}` },
    });
    expect(authorised.status).toBe(200);
  });
});
