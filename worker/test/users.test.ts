import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, freshIp, problemFields, registerUser } from "./support/api";

describe("GET /users/:id", () => {
  it("returns your own account", async () => {
    const a = await registerUser({ name: "Ana" });
    const response = await api<{ id: string; name: string }>(`/users/${a.user.id}`, { token: a.accessToken });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: a.user.id, name: "Ana" });
  });

  it("validates the id", async () => {
    const a = await registerUser();
    const response = await api("/users/not-a-uuid", { token: a.accessToken });
    expect(response.status).toBe(400);
    expect(problemFields(response.body)).toEqual(["params.id"]);
  });

  it("answers 404 for an id that does not exist", async () => {
    const a = await registerUser();
    const response = await api(`/users/${crypto.randomUUID()}`, { token: a.accessToken });
    expect(response.status).toBe(404);
  });
});

describe("tenant isolation: user B never reads, changes or deletes user A", () => {
  it("answers B on A's account exactly as on an id that does not exist (404), and leaves A untouched", async () => {
    const a = await registerUser({ name: "Ana" });
    const b = await registerUser({ name: "Bia" });
    const path = `/users/${a.user.id}`;
    const nobody = `/users/${crypto.randomUUID()}`;
    const strip = (body: unknown) => ({ ...(body as object), requestId: undefined });

    const attempts: [string, { method?: string; json?: unknown }][] = [
      ["read", {}],
      ["rename", { method: "PUT", json: { name: "Hacked" } }],
      ["take over", { method: "PUT", json: { currentPassword: b.password, newPassword: "taken over!!" } }],
      ["delete", { method: "DELETE", json: { currentPassword: b.password } }],
    ];
    for (const [what, init] of attempts) {
      const onA = await api(path, { ...init, token: b.accessToken });
      const onNobody = await api(nobody, { ...init, token: b.accessToken });
      expect({ what, status: onA.status }).toEqual({ what, status: 404 });
      expect(strip(onA.body)).toEqual(strip(onNobody.body));
      expect(JSON.stringify(onA.body)).not.toContain(a.user.email);
    }

    const aView = await api<{ name: string; email: string }>(path, { token: a.accessToken });
    expect(aView.status).toBe(200);
    expect(aView.body).toMatchObject({ name: "Ana", email: a.user.email });
    const aLogin = await api("/auth/login", { method: "POST", json: { email: a.user.email, password: a.password }, ip: freshIp() });
    expect(aLogin.status).toBe(200);
  });
});

describe("PUT /users/:id", () => {
  it("changes the name", async () => {
    const a = await registerUser();
    const response = await api<{ name: string }>(`/users/${a.user.id}`, { method: "PUT", token: a.accessToken, json: { name: " Carla " } });
    expect(response.status).toBe(200);
    expect(response.body.name).toBe("Carla");
  });

  it("refuses an empty change and unknown fields", async () => {
    const a = await registerUser();
    expect((await api(`/users/${a.user.id}`, { method: "PUT", token: a.accessToken, json: {} })).status).toBe(400);
    const unknown = await api(`/users/${a.user.id}`, { method: "PUT", token: a.accessToken, json: { role: "admin" } });
    expect(unknown.status).toBe(400);
  });

  it("changes the email only with the current password, and keeps emails unique", async () => {
    const a = await registerUser();
    const b = await registerUser();
    const path = `/users/${a.user.id}`;
    const newEmail = `new-${crypto.randomUUID()}@example.com`;

    const withoutPassword = await api(path, { method: "PUT", token: a.accessToken, json: { email: newEmail } });
    expect(withoutPassword.status).toBe(400);
    expect(problemFields(withoutPassword.body)).toEqual(["body.currentPassword"]);

    const taken = await api(path, { method: "PUT", token: a.accessToken, json: { email: b.user.email.toUpperCase(), currentPassword: a.password } });
    expect(taken.status).toBe(409);

    const ok = await api<{ email: string }>(path, {
      method: "PUT",
      token: a.accessToken,
      json: { email: newEmail.toUpperCase(), currentPassword: a.password },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.email).toBe(newEmail);
    const login = await api("/auth/login", { method: "POST", json: { email: newEmail, password: a.password }, ip: freshIp() });
    expect(login.status).toBe(200);
  });

  it("an email change ends the user's other sessions, not the current one", async () => {
    const a = await registerUser();
    const other = await api<{ accessToken: string; refreshToken: string }>("/auth/login", {
      method: "POST",
      json: { email: a.user.email, password: a.password },
      ip: freshIp(),
    });
    const newEmail = `moved-${crypto.randomUUID()}@example.com`;
    const changed = await api(`/users/${a.user.id}`, { method: "PUT", token: a.accessToken, json: { email: newEmail, currentPassword: a.password } });
    expect(changed.status).toBe(200);

    expect((await api("/auth/me", { token: a.accessToken })).status).toBe(200);
    expect((await api("/auth/refresh", { method: "POST", json: { refreshToken: a.refreshToken } })).status).toBe(200);
    expect((await api("/auth/me", { token: other.body.accessToken })).status).toBe(401);
    expect((await api("/auth/refresh", { method: "POST", json: { refreshToken: other.body.refreshToken } })).status).toBe(401);
  });

  it("limits password checks per user: past the budget even the right password gets 429 with Retry-After", async () => {
    // One bindings object per configuration: the Worker caches its config per object.
    const bindings = { ...(env as unknown as Record<string, string>), PASSWORD_CHECK_RATE_LIMIT: "3" };
    const a = await registerUser();
    const b = await registerUser();
    const change = (session: typeof a, currentPassword: string) =>
      api(`/users/${session.user.id}`, { method: "PUT", token: session.accessToken, json: { currentPassword, newPassword: "brand new pw" }, bindings });
    expect((await change(a, "guess one!")).status).toBe(403);
    expect((await change(a, "guess two!")).status).toBe(403);
    expect((await api(`/users/${a.user.id}`, { method: "DELETE", token: a.accessToken, json: { currentPassword: "guess three" }, bindings })).status).toBe(403);
    const limited = await change(a, a.password);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const email = await api(`/users/${a.user.id}`, { method: "PUT", token: a.accessToken, json: { email: `x-${crypto.randomUUID()}@example.com`, currentPassword: a.password }, bindings });
    expect(email.status).toBe(429);
    // The password is unchanged, and other users keep their own budget.
    expect((await api("/auth/login", { method: "POST", json: { email: a.user.email, password: a.password }, ip: freshIp() })).status).toBe(200);
    expect((await change(b, b.password)).status).toBe(200);
  });

  it("changes the password only with the right current one, and ends the other sessions", async () => {
    const a = await registerUser();
    const path = `/users/${a.user.id}`;
    const other = await api<{ accessToken: string; refreshToken: string }>("/auth/login", {
      method: "POST",
      json: { email: a.user.email, password: a.password },
      ip: freshIp(),
    });

    const wrong = await api(path, { method: "PUT", token: a.accessToken, json: { currentPassword: "not my password", newPassword: "brand new pw" } });
    expect(wrong.status).toBe(403);

    const changed = await api(path, { method: "PUT", token: a.accessToken, json: { currentPassword: a.password, newPassword: "brand new pw" } });
    expect(changed.status).toBe(200);

    expect((await api("/auth/me", { token: a.accessToken })).status).toBe(200);
    expect((await api("/auth/me", { token: other.body.accessToken })).status).toBe(401);
    expect((await api("/auth/refresh", { method: "POST", json: { refreshToken: other.body.refreshToken } })).status).toBe(401);

    const oldLogin = await api("/auth/login", { method: "POST", json: { email: a.user.email, password: a.password }, ip: freshIp() });
    expect(oldLogin.status).toBe(401);
    const newLogin = await api("/auth/login", { method: "POST", json: { email: a.user.email, password: "brand new pw" }, ip: freshIp() });
    expect(newLogin.status).toBe(200);
  });
});

describe("DELETE /users/:id", () => {
  it("needs the current password: none or a wrong one deletes nothing", async () => {
    const a = await registerUser();
    const path = `/users/${a.user.id}`;
    const missing = await api(path, { method: "DELETE", token: a.accessToken });
    expect(missing.status).toBe(400);
    const empty = await api(path, { method: "DELETE", token: a.accessToken, json: {} });
    expect(empty.status).toBe(400);
    expect(problemFields(empty.body)).toEqual(["body.currentPassword"]);
    const wrong = await api(path, { method: "DELETE", token: a.accessToken, json: { currentPassword: "not my password" } });
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get("content-type")).toBe("application/problem+json");
    expect(problemFields(wrong.body)).toEqual(["body.currentPassword"]);
    expect((await api(path, { token: a.accessToken })).status).toBe(200);
  });

  it("removes the account and revokes every token", async () => {
    const a = await registerUser();
    const response = await api(`/users/${a.user.id}`, { method: "DELETE", token: a.accessToken, json: { currentPassword: a.password } });
    expect(response.status).toBe(204);
    expect((await api("/auth/me", { token: a.accessToken })).status).toBe(401);
    expect((await api("/auth/refresh", { method: "POST", json: { refreshToken: a.refreshToken } })).status).toBe(401);
    expect((await api("/auth/login", { method: "POST", json: { email: a.user.email, password: a.password }, ip: freshIp() })).status).toBe(401);
    // The address is free again.
    const again = await registerUser({ email: a.user.email, password: a.password });
    expect(again.user.id).not.toBe(a.user.id);
  });
});
