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
  it("refuses B on A's account with 403 and leaves A untouched", async () => {
    const a = await registerUser({ name: "Ana" });
    const b = await registerUser({ name: "Bia" });
    const path = `/users/${a.user.id}`;

    const read = await api(path, { token: b.accessToken });
    expect(read.status).toBe(403);
    expect(JSON.stringify(read.body)).not.toContain(a.user.email);

    const change = await api(path, { method: "PUT", token: b.accessToken, json: { name: "Hacked" } });
    expect(change.status).toBe(403);
    const passwordChange = await api(path, {
      method: "PUT",
      token: b.accessToken,
      json: { currentPassword: b.password, newPassword: "taken over!!" },
    });
    expect(passwordChange.status).toBe(403);

    const remove = await api(path, { method: "DELETE", token: b.accessToken });
    expect(remove.status).toBe(403);

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
  it("removes the account and revokes every token", async () => {
    const a = await registerUser();
    const response = await api(`/users/${a.user.id}`, { method: "DELETE", token: a.accessToken });
    expect(response.status).toBe(204);
    expect((await api("/auth/me", { token: a.accessToken })).status).toBe(401);
    expect((await api("/auth/refresh", { method: "POST", json: { refreshToken: a.refreshToken } })).status).toBe(401);
    expect((await api("/auth/login", { method: "POST", json: { email: a.user.email, password: a.password }, ip: freshIp() })).status).toBe(401);
    // The address is free again.
    const again = await api("/auth/register", { method: "POST", json: { email: a.user.email, password: a.password }, ip: freshIp() });
    expect(again.status).toBe(201);
  });
});
