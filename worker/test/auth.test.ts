import { describe, expect, it } from "vitest";
import { timingDecoyHash } from "#core/auth/passwords";
import { api, freshIp, problemFields, registerUser } from "./support/api";

describe("POST /auth/register", () => {
  const register = (email: string, password: string) => api<Record<string, unknown>>("/auth/register", { method: "POST", json: { email, password, name: "Ana" }, ip: freshIp() });

  it("creates the account with a normalised email; the session comes from logging in", async () => {
    const email = `Mixed.Case-${crypto.randomUUID()}@Example.COM`;
    const response = await register(`  ${email}  `, "long enough pw");
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ status: "accepted", detail: expect.any(String) });

    const login = await api<{ user: { email: string; id: string }; accessToken: string; refreshToken: string; expiresIn: number }>("/auth/login", {
      method: "POST",
      json: { email, password: "long enough pw" },
      ip: freshIp(),
    });
    expect(login.status).toBe(200);
    expect(login.body.user.email).toBe(email.toLowerCase());
    expect(login.body.user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(login.body.expiresIn).toBe(900);
    expect(login.body.accessToken.split(".")).toHaveLength(3);
    expect(login.body.refreshToken.length).toBeGreaterThanOrEqual(40);
    expect(JSON.stringify(login.body)).not.toContain("password");
  });

  it("answers a taken email exactly as a new one, and leaves that account as it was", async () => {
    const { user, password } = await registerUser();
    const taken = await register(user.email.toUpperCase(), "another password");
    const fresh = await register(`new-${crypto.randomUUID()}@example.com`, "another password");
    expect(taken.status).toBe(202);
    expect(fresh.status).toBe(202);
    expect(taken.headers.get("content-type")).toBe(fresh.headers.get("content-type"));
    expect(taken.body).toEqual(fresh.body);

    const login = (pw: string) => api("/auth/login", { method: "POST", json: { email: user.email, password: pw }, ip: freshIp() });
    expect((await login(password)).status).toBe(200);
    expect((await login("another password")).status).toBe(401);
  });

  it("gives field-level errors for bad input", async () => {
    const response = await api("/auth/register", { method: "POST", json: { email: "not-an-email", password: "short", extra: 1 }, ip: freshIp() });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(problemFields(response.body).sort()).toEqual(["body", "body.email", "body.password"]);
  });

  it("refuses passwords over bcrypt's 72-byte limit instead of truncating them", async () => {
    const password = "é".repeat(37); // 37 characters, 74 bytes
    const response = await api("/auth/register", {
      method: "POST",
      json: { email: `long-${crypto.randomUUID()}@example.com`, password },
      ip: freshIp(),
    });
    expect(response.status).toBe(400);
    expect(problemFields(response.body)).toEqual(["body.password"]);
  });
});

describe("POST /auth/login", () => {
  it("logs in with the right password, whatever the email's case", async () => {
    const session = await registerUser();
    const response = await api<{ user: { id: string } }>("/auth/login", {
      method: "POST",
      json: { email: session.user.email.toUpperCase(), password: session.password },
      ip: freshIp(),
    });
    expect(response.status).toBe(200);
    expect(response.body.user.id).toBe(session.user.id);
  });

  it("answers an unknown email and a wrong password the same way", async () => {
    const session = await registerUser();
    const wrong = await api("/auth/login", { method: "POST", json: { email: session.user.email, password: "not it at all" }, ip: freshIp() });
    const unknown = await api("/auth/login", {
      method: "POST",
      json: { email: `nobody-${crypto.randomUUID()}@example.com`, password: "not it at all" },
      ip: freshIp(),
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (body: unknown) => ({ ...(body as object), requestId: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
  });

  const login = (email: string, password: string, ip: string) => api("/auth/login", { method: "POST", json: { email, password }, ip });

  it("counts failures only: logging in again and again never uses up a budget", async () => {
    const session = await registerUser();
    const ip = freshIp();
    // Above LOGIN_RATE_LIMIT_PER_IP (6) and LOGIN_RATE_LIMIT_PER_EMAIL (3) of the test bindings.
    for (let i = 0; i < 8; i++) expect((await login(session.user.email, session.password, ip)).status).toBe(200);
    expect((await login(session.user.email, "wrong password", ip)).status).toBe(401);
  });

  it("an attacker's failures lock out only the attacker's address, never the owner elsewhere", async () => {
    const session = await registerUser();
    const attacker = freshIp();
    // LOGIN_RATE_LIMIT_PER_EMAIL is 3 failures per (email, address) in the test bindings.
    for (let i = 0; i < 3; i++) expect((await login(session.user.email, "wrong password", attacker)).status).toBe(401);
    const limited = await login(session.user.email, "wrong password", attacker);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // Even the right password is refused from there: the attacker cannot learn it by trying on.
    expect((await login(session.user.email, session.password, attacker)).status).toBe(429);

    expect((await login(session.user.email, session.password, freshIp())).status).toBe(200);
  });

  it("stops guessing spread over many addresses: once the email's budget is spent, only addresses that have not failed on it may try", async () => {
    const session = await registerUser();
    const email = session.user.email;
    const [first, second, third] = [freshIp(), freshIp(), freshIp()];
    // LOGIN_RATE_LIMIT_PER_ACCOUNT is 8 failures per email in the test bindings, 3 per (email, address).
    for (const ip of [first, first, first, second, second, second, third, third]) expect((await login(email, "wrong password", ip)).status).toBe(401);
    expect((await login(email, "wrong password", third)).status).toBe(429);

    const guesser = freshIp();
    expect((await login(email, "one more guess", guesser)).status).toBe(401);
    expect((await login(email, session.password, guesser)).status).toBe(429);

    expect((await login(email, session.password, freshIp())).status).toBe(200);
  });

  it("limits failures per client address, across emails, with 429", async () => {
    const ip = freshIp();
    const attempt = (i: number) => api("/auth/login", { method: "POST", json: { email: `probe-${i}-${crypto.randomUUID()}@example.com`, password: "whatever" }, ip });
    // LOGIN_RATE_LIMIT_PER_IP is 6 in the test bindings.
    for (let i = 0; i < 6; i++) expect((await attempt(i)).status).toBe(401);
    const limited = await attempt(99);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toMatch(/^\d+$/);
    const elsewhere = await api("/auth/login", { method: "POST", json: { email: "someone@example.com", password: "whatever" }, ip: freshIp() });
    expect(elsewhere.status).toBe(401);
  });
});

describe("login timing decoy", () => {
  it("is a bcrypt hash at the configured cost, made once per cost", async () => {
    expect(await timingDecoyHash(11)).toMatch(/^\$2[ab]\$11\$/);
    expect(timingDecoyHash(11)).toBe(timingDecoyHash(11));
    expect(await timingDecoyHash(10)).toMatch(/^\$2[ab]\$10\$/);
  });
});

describe("GET /auth/me", () => {
  it("returns the logged-in user", async () => {
    const session = await registerUser({ name: "Bruno" });
    const response = await api<{ id: string; email: string; name: string }>("/auth/me", { token: session.accessToken });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: session.user.id, email: session.user.email, name: "Bruno" });
  });
});

describe("POST /auth/refresh", () => {
  it("rotates: the new pair works and the old refresh token does not", async () => {
    const session = await registerUser();
    const first = await api<{ accessToken: string; refreshToken: string }>("/auth/refresh", {
      method: "POST",
      json: { refreshToken: session.refreshToken },
    });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(session.refreshToken);
    expect((await api("/auth/me", { token: first.body.accessToken })).status).toBe(200);

    const second = await api<{ refreshToken: string }>("/auth/refresh", { method: "POST", json: { refreshToken: first.body.refreshToken } });
    expect(second.status).toBe(200);
  });

  it("treats reuse of a rotated token as theft and revokes the whole family", async () => {
    const session = await registerUser();
    const rotated = await api<{ accessToken: string; refreshToken: string }>("/auth/refresh", {
      method: "POST",
      json: { refreshToken: session.refreshToken },
    });
    expect(rotated.status).toBe(200);

    const replay = await api("/auth/refresh", { method: "POST", json: { refreshToken: session.refreshToken } });
    expect(replay.status).toBe(401);

    // Every token of that family is now dead: the newest refresh token and its access token too.
    expect((await api("/auth/refresh", { method: "POST", json: { refreshToken: rotated.body.refreshToken } })).status).toBe(401);
    expect((await api("/auth/me", { token: rotated.body.accessToken })).status).toBe(401);
    expect((await api("/auth/me", { token: session.accessToken })).status).toBe(401);
  });

  it("leaves the user's other sessions alone when one family is revoked", async () => {
    const session = await registerUser();
    const other = await api<{ accessToken: string }>("/auth/login", {
      method: "POST",
      json: { email: session.user.email, password: session.password },
      ip: freshIp(),
    });
    await api("/auth/refresh", { method: "POST", json: { refreshToken: session.refreshToken } });
    await api("/auth/refresh", { method: "POST", json: { refreshToken: session.refreshToken } });
    expect((await api("/auth/me", { token: other.body.accessToken })).status).toBe(200);
  });

  it("rejects an unknown refresh token", async () => {
    const response = await api("/auth/refresh", { method: "POST", json: { refreshToken: "x".repeat(43) } });
    expect(response.status).toBe(401);
  });
});

describe("POST /auth/logout", () => {
  it("ends the session: its access and refresh tokens stop working", async () => {
    const session = await registerUser();
    const response = await api("/auth/logout", { method: "POST", token: session.accessToken });
    expect(response.status).toBe(204);
    expect((await api("/auth/me", { token: session.accessToken })).status).toBe(401);
    expect((await api("/auth/refresh", { method: "POST", json: { refreshToken: session.refreshToken } })).status).toBe(401);
  });
});
