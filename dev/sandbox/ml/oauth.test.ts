import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MlSandbox } from "./index";
import { control, startTestSandbox } from "./test-helpers";

const REDIRECT = "https://app.example.test/oauth/callback";

let sb: MlSandbox;
beforeAll(async () => {
  sb = await startTestSandbox({ accessTokenTtlSeconds: 60 });
});
afterAll(() => sb.close());

async function authorize(params: Record<string, string> = {}): Promise<URL> {
  const q = new URLSearchParams({ response_type: "code", client_id: sb.appId, redirect_uri: REDIRECT, state: "st-1", ...params });
  const res = await fetch(`${sb.url}/authorization?${q}`, { redirect: "manual" });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location") as string);
}

async function token(form: Record<string, string>) {
  const res = await fetch(`${sb.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ client_id: sb.appId, client_secret: sb.clientSecret, ...form }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const exchange = (code: string, extra: Record<string, string> = {}) => token({ grant_type: "authorization_code", code, redirect_uri: REDIRECT, ...extra });

describe("ML OAuth", () => {
  it("issues a TG- code, exchanges it for APP_USR- tokens, and the token works", async () => {
    const loc = await authorize();
    const code = loc.searchParams.get("code") as string;
    expect(loc.searchParams.get("state")).toBe("st-1");
    expect(code).toMatch(/^TG-[0-9a-f]{24}-410000001$/);
    const { status, body } = await exchange(code);
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 60, user_id: 410000001, scope: "offline_access read write" });
    expect(body.access_token).toMatch(new RegExp(`^APP_USR-${sb.appId}-\\d{6}-[0-9a-f]{32}-410000001$`));
    expect(body.refresh_token).toMatch(/^TG-[0-9a-f]{24}-410000001$/);
    const me = await fetch(`${sb.url}/users/me`, { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(((await me.json()) as { id: number }).id).toBe(410000001);
  });

  it("rejects a reused code with invalid_grant", async () => {
    const code = (await authorize()).searchParams.get("code") as string;
    expect((await exchange(code)).status).toBe(200);
    const again = await exchange(code);
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      error_description: "Error validating grant. Your authorization code or refresh token may be expired or it was already used",
      error: "invalid_grant",
      status: 400,
      cause: [],
    });
  });

  it("expires codes after 10 minutes", async () => {
    const code = (await authorize()).searchParams.get("code") as string;
    sb.ctx.clock.advance(10 * 60_000 + 1);
    try {
      expect((await exchange(code)).body.error).toBe("invalid_grant");
    } finally {
      sb.ctx.clock.reset();
    }
  });

  it("checks PKCE S256 and plain", async () => {
    const verifier = "a".repeat(43) + "-pkce-verifier";
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const bad = (await authorize({ code_challenge: challenge, code_challenge_method: "S256" })).searchParams.get("code") as string;
    const mismatch = await exchange(bad, { code_verifier: "wrong-verifier" });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error).toBe("invalid_grant");
    // A failed verifier burns the code.
    expect((await exchange(bad, { code_verifier: verifier })).body.error).toBe("invalid_grant");

    const missing = (await authorize({ code_challenge: challenge, code_challenge_method: "S256" })).searchParams.get("code") as string;
    expect((await exchange(missing)).body.error).toBe("invalid_request");

    const good = (await authorize({ code_challenge: challenge, code_challenge_method: "S256" })).searchParams.get("code") as string;
    expect((await exchange(good, { code_verifier: verifier })).status).toBe(200);

    const plain = (await authorize({ code_challenge: "plain-challenge", code_challenge_method: "plain" })).searchParams.get("code") as string;
    expect((await exchange(plain, { code_verifier: "plain-challenge" })).status).toBe(200);
  });

  it("rotates refresh tokens: only the newest works", async () => {
    const code = (await authorize()).searchParams.get("code") as string;
    const first = (await exchange(code)).body;
    const second = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token as string });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    const replay = await token({ grant_type: "refresh_token", refresh_token: first.refresh_token as string });
    expect(replay.status).toBe(400);
    expect(replay.body.error).toBe("invalid_grant");
    const third = await token({ grant_type: "refresh_token", refresh_token: second.body.refresh_token as string });
    expect(third.status).toBe(200);
  });

  it("expires access tokens after the configured TTL with the ML 401 body", async () => {
    const t = sb.issueToken();
    const before = await fetch(`${sb.url}/users/me`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(before.status).toBe(200);
    sb.ctx.clock.advance(61_000);
    try {
      const after = await fetch(`${sb.url}/users/me`, { headers: { authorization: `Bearer ${t.access_token}` } });
      expect(after.status).toBe(401);
      expect(await after.json()).toEqual({ message: "invalid_token", error: "not_found", status: 401, cause: [] });
      // The refresh token still works after the access token died.
      expect((await token({ grant_type: "refresh_token", refresh_token: t.refresh_token as string })).status).toBe(200);
    } finally {
      sb.ctx.clock.reset();
    }
  });

  it("answers 401 for missing and unknown tokens", async () => {
    const none = await fetch(`${sb.url}/users/me`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toBe("authorization value not present");
    const unknown = await fetch(`${sb.url}/users/me`, { headers: { authorization: "Bearer APP_USR-nope" } });
    expect(unknown.status).toBe(401);
  });

  it("rejects a bad client secret and unsupported grants", async () => {
    const res = await token({ grant_type: "refresh_token", refresh_token: "TG-x", client_secret: "wrong" });
    expect(res.body).toMatchObject({ error: "invalid_client", status: 400, cause: [] });
    expect((await token({ grant_type: "password" })).body.error).toBe("unsupported_grant_type");
  });

  it("redirect_uri must match between authorize and token", async () => {
    const code = (await authorize()).searchParams.get("code") as string;
    expect((await exchange(code, { redirect_uri: "https://other.example.test/cb" })).body.error).toBe("invalid_grant");
  });

  it("lets the user deny, pick a sandbox user, and refuses operators", async () => {
    const denied = await authorize({ decision: "deny" });
    expect(denied.searchParams.get("error")).toBe("access_denied");
    expect(denied.searchParams.get("state")).toBe("st-1");
    const second = await authorize({ sandbox_user: String(sb.sellers.second.id) });
    expect(second.searchParams.get("code")).toMatch(/-410000002$/);
    const op = await fetch(`${sb.url}/authorization?response_type=code&client_id=${sb.appId}&redirect_uri=${encodeURIComponent(REDIRECT)}&sandbox_user=410000003`, { redirect: "manual" });
    expect(op.status).toBe(403);
    expect(await op.text()).toContain("invalid_operator_user_id");
    const page = await fetch(`${sb.url}/authorization?response_type=code&client_id=${sb.appId}&redirect_uri=${encodeURIComponent(REDIRECT)}&interactive=1`);
    const html = await page.text();
    expect(html).toContain("LOJA_DEMO_SANDBOX");
    expect(html).toContain("decision=deny");
  });

  it("revoking a user kills its tokens", async () => {
    const t = sb.issueToken(sb.sellers.second.id);
    await control(sb, "POST", "/_sandbox/tokens/revoke", { user_id: sb.sellers.second.id });
    const res = await fetch(`${sb.url}/users/me`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(res.status).toBe(401);
    expect((await token({ grant_type: "refresh_token", refresh_token: t.refresh_token as string })).body.error).toBe("invalid_grant");
  });
});
