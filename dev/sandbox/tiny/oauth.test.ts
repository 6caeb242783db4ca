import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSandbox, type Json, type TestSandbox } from "./test-helpers";

// The token lifecycle is where Tiny integrations break in production (single-use codes, rotating
// refresh tokens, 4 h / 1 day expiry), so each edge is pinned here against the sandbox clock.

const REDIRECT = "http://127.0.0.1:3000/oauth/tiny/callback";

describe("Tiny OAuth (Keycloak realm 'tiny')", () => {
  let t: TestSandbox;

  beforeAll(async () => {
    t = await startTestSandbox();
  });
  afterAll(async () => {
    await t.sb.close();
  });

  async function authorize(extra: Record<string, string> = {}): Promise<URL> {
    const q = new URLSearchParams({ client_id: t.sb.clientId, redirect_uri: REDIRECT, response_type: "code", scope: "openid", state: "st-123", ...extra });
    const res = await fetch(`${t.sb.authUrl}?${q}`, { redirect: "manual" });
    expect(res.status).toBe(302);
    return new URL(res.headers.get("location") ?? "");
  }

  async function token(form: Record<string, string>): Promise<{ status: number; body: Json }> {
    const res = await fetch(t.sb.tokenUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) });
    return { status: res.status, body: await res.json() };
  }

  const exchange = (code: string, extra: Record<string, string> = {}) =>
    token({ grant_type: "authorization_code", client_id: t.sb.clientId, client_secret: t.sb.clientSecret, redirect_uri: REDIRECT, code, ...extra });
  const refresh = (refreshToken: string) => token({ grant_type: "refresh_token", client_id: t.sb.clientId, client_secret: t.sb.clientSecret, refresh_token: refreshToken });

  async function login(): Promise<Json> {
    const back = await authorize();
    const res = await exchange(back.searchParams.get("code") ?? "");
    expect(res.status).toBe(200);
    return res.body;
  }

  it("auto-approves and redirects with code, state and session_state", async () => {
    const back = await authorize();
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get("state")).toBe("st-123");
    expect(back.searchParams.get("code")).toBeTruthy();
    expect(back.searchParams.get("session_state")).toBeTruthy();
  });

  it("exchanges the code for Keycloak-shaped tokens (4 h access, 1 day refresh) that open the API", async () => {
    const body = await login();
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 14400, refresh_expires_in: 86400, "not-before-policy": 0 });
    expect(body.scope).toContain("openid");
    const claims = JSON.parse(Buffer.from(String(body.access_token).split(".")[1] ?? "", "base64url").toString());
    expect(claims.aud).toBe("tiny-api");
    expect(claims.exp - claims.iat).toBe(14400);
    expect(claims.resource_access["tiny-api"].roles).toContain("estoque-leitura");
    const info = await t.api("GET", "/info", undefined, body.access_token);
    expect(info.status).toBe(200);
  });

  it("rejects a reused code with invalid_grant and kills the session the code opened", async () => {
    const back = await authorize();
    const code = back.searchParams.get("code") ?? "";
    const first = await exchange(code);
    expect(first.status).toBe(200);
    const second = await exchange(code);
    expect(second).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "Code not valid" } });
    expect((await t.api("GET", "/info", undefined, first.body.access_token)).status).toBe(401);
  });

  it("expires codes after 60 s and checks redirect_uri", async () => {
    const late = await authorize();
    t.sb.clock.advance(61_000);
    expect((await exchange(late.searchParams.get("code") ?? "")).body.error).toBe("invalid_grant");
    const wrong = await authorize();
    const res = await exchange(wrong.searchParams.get("code") ?? "", { redirect_uri: "http://127.0.0.1:3000/other" });
    expect(res.body).toEqual({ error: "invalid_grant", error_description: "Incorrect redirect_uri" });
  });

  it("authenticates the client: bad secret, unknown client, missing grant, JSON body", async () => {
    const back = await authorize();
    const code = back.searchParams.get("code") ?? "";
    expect(await exchange(code, { client_secret: "nope" })).toEqual({ status: 401, body: { error: "unauthorized_client", error_description: "Invalid client or Invalid client credentials" } });
    expect((await exchange(code, { client_id: "other" })).status).toBe(401);
    expect(await token({ client_id: t.sb.clientId })).toEqual({ status: 400, body: { error: "invalid_request", error_description: "Missing form parameter: grant_type" } });
    const json = await fetch(t.sb.tokenUrl, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: "authorization_code" }) });
    expect(json.status).toBe(400);
    expect(await token({ grant_type: "password", client_id: t.sb.clientId, client_secret: t.sb.clientSecret })).toMatchObject({ status: 400, body: { error: "unsupported_grant_type" } });
  });

  it("accepts client_secret_basic", async () => {
    const back = await authorize();
    const basic = Buffer.from(`${t.sb.clientId}:${t.sb.clientSecret}`).toString("base64");
    const res = await fetch(t.sb.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${basic}` },
      body: new URLSearchParams({ grant_type: "authorization_code", redirect_uri: REDIRECT, code: back.searchParams.get("code") ?? "" }),
    });
    expect(res.status).toBe(200);
  });

  it("verifies PKCE S256", async () => {
    const verifier = "v".repeat(50);
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const ok = await authorize({ code_challenge: challenge, code_challenge_method: "S256" });
    expect((await exchange(ok.searchParams.get("code") ?? "", { code_verifier: verifier })).status).toBe(200);
    const bad = await authorize({ code_challenge: challenge, code_challenge_method: "S256" });
    expect((await exchange(bad.searchParams.get("code") ?? "", { code_verifier: "w".repeat(50) })).body.error).toBe("invalid_grant");
  });

  it("rotates refresh tokens: the old one is dead after use, the new one works", async () => {
    const first = await login();
    const second = await refresh(first.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(await refresh(first.refresh_token)).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "Maximum allowed refresh token reuse exceeded" } });
    const third = await refresh(second.body.refresh_token);
    expect(third.status).toBe(200);
    expect((await t.api("GET", "/info", undefined, third.body.access_token)).status).toBe(200);
  });

  it("expires access tokens after 4 h (401 on the API) and refresh tokens after 1 day", async () => {
    const tokens = await login();
    t.sb.clock.advance(4 * 3600 * 1000 + 1000);
    const expired = await t.api("GET", "/info", undefined, tokens.access_token);
    expect(expired.status).toBe(401);
    expect(expired.json).toHaveProperty("mensagem");
    const renewed = await refresh(tokens.refresh_token);
    expect(renewed.status).toBe(200);
    t.sb.clock.advance(24 * 3600 * 1000 + 1000);
    expect(await refresh(renewed.body.refresh_token)).toEqual({ status: 400, body: { error: "invalid_grant", error_description: "Token is not active" } });
  });

  it("answers 401 without or with a garbage bearer", async () => {
    expect((await fetch(`${t.sb.apiUrl}/produtos`)).status).toBe(401);
    expect((await t.api("GET", "/produtos", undefined, "not-a-jwt")).status).toBe(401);
  });

  it("can deny consent or show a page with both choices", async () => {
    const denied = await authorize({ sandbox_decision: "deny" });
    expect(denied.searchParams.get("error")).toBe("access_denied");
    expect(denied.searchParams.get("state")).toBe("st-123");
    await t.control("PUT", "/oauth", { mode: "page" });
    const q = new URLSearchParams({ client_id: t.sb.clientId, redirect_uri: REDIRECT, response_type: "code", state: "x" });
    const page = await fetch(`${t.sb.authUrl}?${q}`, { redirect: "manual" });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('id="approve"');
    expect(html).toContain("sandbox_decision=deny");
    await t.control("PUT", "/oauth", { mode: "approve" });
    const unknownClient = await fetch(`${t.sb.authUrl}?client_id=nobody&redirect_uri=${encodeURIComponent(REDIRECT)}&response_type=code`, { redirect: "manual" });
    expect(unknownClient.status).toBe(400);
  });

  it("revoking sessions from the control API logs every client out", async () => {
    const tokens = await login();
    expect((await t.control("POST", "/oauth/revoke")).status).toBe(200);
    expect((await t.api("GET", "/info", undefined, tokens.access_token)).status).toBe(401);
    expect((await refresh(tokens.refresh_token)).body.error_description).toBe("Session not active");
  });
});
