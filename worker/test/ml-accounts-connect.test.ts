import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { sha256Hex } from "#core/crypto";
import { readConfig } from "../src/env";
import { buildServices } from "../src/services";
import { disconnectAccount } from "../src/services/ml-accounts";
import { api, problemFields, registerUser, type Session } from "./support/api";
import {
  DEMO_SELLER_ID,
  OPERATOR_USER_ID,
  SECOND_SELLER_ID,
  authorize,
  browserGet,
  completeGrant,
  connect,
  followCallback,
  purge,
  rawAccountRow,
  seedAccount,
  startFlow,
  testServices,
} from "./support/ml";

/** Start as `starter`, then the seller's browser consents (as `sellerId`) and lands on the dashboard with the grant. */
async function grantStartedBy(starter: Session, sellerId: number): Promise<string> {
  const { url } = await startFlow(starter);
  const authorized = await authorize(url, { sandbox_user: String(sellerId) });
  const callback = await followCallback(authorized.location!);
  expect(callback.outcome).toBe("pending");
  return callback.grant!;
}

const accountsOf = async (session: Session) => (await api<{ items: unknown[] }>("/ml/accounts", { token: session.accessToken })).body.items;

// Flows that attach a real sandbox seller run one after another: one ML user belongs to one AutoEcom user.
describe.sequential("connecting a MercadoLibre account through ML's redirects", () => {
  it("start returns ML's authorization URL with a one-time state and an S256 challenge", async () => {
    const session = await registerUser();
    const { url, state } = await startFlow(session);
    expect(url.pathname).toBe("/authorization");
    expect(url.searchParams.get("response_type")).toBe("code");
    expect(url.searchParams.get("redirect_uri")).toBe("http://api.test/ml/auth/callback");
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const redirected = await browserGet("/ml/auth/start?redirect=true&site=MLA", session.accessToken);
    expect(redirected.status).toBe(302);
    expect(new URL(redirected.location!).pathname).toBe("/authorization");
  });

  it("start rejects an unknown site and an anonymous caller", async () => {
    const session = await registerUser();
    const bad = await api("/ml/auth/start?site=XYZ&redirect=maybe", { token: session.accessToken });
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body).sort()).toEqual(["query.redirect", "query.site"]);
    expect((await api("/ml/auth/start")).status).toBe(401);
  });

  it("happy path: the callback hands the dashboard a grant; completing it creates the account, listed without tokens, and records an event", async () => {
    const session = await registerUser();
    const result = await connect(session, DEMO_SELLER_ID);
    const dashboard = result.callback.dashboard;
    expect(dashboard.origin + dashboard.pathname).toBe("http://dashboard.test/settings/mercadolibre");
    // Only the outcome and the grant: ML's code and our state stay out of the dashboard's URL.
    expect([...dashboard.searchParams.keys()].sort()).toEqual(["grant", "ml_connect"]);
    expect(result.callback.grant).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.completed.status).toBe(201);
    expect(result.outcome).toBe("connected");
    try {
      const list = await api<{ items: Record<string, unknown>[] }>("/ml/accounts", { token: session.accessToken });
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(1);
      const account = list.body.items[0]!;
      // The completion answers the account exactly as the list shows it.
      expect(result.completed.body).toEqual(account);
      expect(account).toMatchObject({ id: result.accountId, mlUserId: DEMO_SELLER_ID, nickname: "LOJA_DEMO_SANDBOX", siteId: "MLB", status: "active", lastSyncAt: null });
      expect(new Date(account.accessTokenExpiresAt as string).getTime()).toBeGreaterThan(Date.now() + 5 * 3600_000);
      const text = JSON.stringify(list.body);
      expect(text).not.toMatch(/APP_USR-|TG-|token_enc|refreshToken/i);

      const events = await api<{ items: { type: string }[] }>(`/ml/accounts/${result.accountId}/events`, { token: session.accessToken });
      expect(events.body.items.map((e) => e.type)).toEqual(["connected"]);

      // The raw row holds ciphertext only, under the current key.
      const row = await rawAccountRow(testServices(), result.accountId!);
      expect(JSON.stringify(row)).not.toMatch(/APP_USR-|TG-/);
      expect(row!.token_key_id).toBe("k2");
      expect(String(row!.access_token_enc)).toMatch(/^v1\.k2\./);
    } finally {
      await purge(session, result.accountId);
    }
  });

  it("reconnecting the same seller updates the account instead of duplicating it", async () => {
    const session = await registerUser();
    const first = await connect(session, DEMO_SELLER_ID);
    try {
      const second = await connect(session, DEMO_SELLER_ID);
      expect(second.completed.status).toBe(200);
      expect(second.outcome).toBe("reconnected");
      expect(second.accountId).toBe(first.accountId);
      const list = await api<{ items: unknown[] }>("/ml/accounts", { token: session.accessToken });
      expect(list.body.items).toHaveLength(1);
    } finally {
      await purge(session, first.accountId);
    }
  });

  it("denied consent redirects with access_denied and stores nothing; the state is spent", async () => {
    const session = await registerUser();
    const { url } = await startFlow(session);
    const denied = await authorize(url, { decision: "deny" });
    expect(denied.status).toBe(302);
    const result = await followCallback(denied.location!);
    expect(result).toMatchObject({ outcome: "error", error: "access_denied", status: "403", grant: null });
    expect((await api<{ items: unknown[] }>("/ml/accounts", { token: session.accessToken })).body.items).toEqual([]);
    const replay = await browserGet(result.callbackPath);
    expect(new URL(replay.location!).searchParams.get("error")).toBe("invalid_state");
  });

  it("the provider's own error text never reaches the dashboard URL: it maps to a fixed outcome code", async () => {
    const session = await registerUser();
    const { state } = await startFlow(session);
    const injected = "Your account is locked, call +55 11 5555-0000";
    const result = await followCallback(`http://api.test/ml/auth/callback?state=${state}&error=${encodeURIComponent("server_error <b>call us</b>")}&error_description=${encodeURIComponent(injected)}`);
    expect(result).toMatchObject({ outcome: "error", error: "authorization_failed", status: "400", grant: null });
    expect(result.message).toBe("MercadoLibre did not authorize the connection; start again.");
    expect(result.dashboard.search).not.toMatch(/server_error|call|locked|5555/i);
    expect(await accountsOf(session)).toEqual([]);
  });

  it("an operator user cannot grant: ML shows its error page and nothing reaches the callback", async () => {
    const session = await registerUser();
    const { url } = await startFlow(session);
    const refused = await authorize(url, { sandbox_user: String(OPERATOR_USER_ID) });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("invalid_operator_user_id");
    // Should ML ever redirect with the error instead, the callback names it.
    const viaRedirect = await followCallback(`http://api.test/ml/auth/callback?error=invalid_operator_user_id&state=${url.searchParams.get("state")}`);
    expect(viaRedirect).toMatchObject({ outcome: "error", error: "operator_user", status: "403" });
  });

  it("a tampered state is refused and stores nothing; the genuine one still completes", async () => {
    const session = await registerUser();
    const { url, state } = await startFlow(session);
    const authorized = await authorize(url, { sandbox_user: String(DEMO_SELLER_ID) });
    const tampered = authorized.location!.replace(`state=${state}`, `state=${state.slice(0, -2)}xy`);
    const refused = await followCallback(tampered);
    expect(refused).toMatchObject({ outcome: "error", error: "invalid_state", status: "400" });
    expect((await api<{ items: unknown[] }>("/ml/accounts", { token: session.accessToken })).body.items).toEqual([]);

    const genuine = await followCallback(authorized.location!);
    expect(genuine.outcome).toBe("pending");
    const completed = await completeGrant(session, genuine.grant);
    expect(completed.status).toBe(201);
    await purge(session, String(completed.body.id));
  });

  it("an expired state is refused and stores nothing", async () => {
    const session = await registerUser();
    const { url, state } = await startFlow(session);
    const authorized = await authorize(url, { sandbox_user: String(DEMO_SELLER_ID) });
    const services = testServices();
    // Ten minutes pass: Redis drops the state (its TTL), exactly as it would in production.
    await services.redis.pexpire(services.key("ml", "oauth-state", await sha256Hex(state)), 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const result = await followCallback(authorized.location!);
    expect(result).toMatchObject({ outcome: "error", error: "invalid_state" });
    expect((await api<{ items: unknown[] }>("/ml/accounts", { token: session.accessToken })).body.items).toEqual([]);
  });

  it("a reused state (replayed callback) is refused and changes nothing", async () => {
    const session = await registerUser();
    const result = await connect(session, DEMO_SELLER_ID);
    try {
      expect(result.outcome).toBe("connected");
      const replay = await followCallback(`http://api.test${result.callback.callbackPath}`);
      expect(replay).toMatchObject({ outcome: "error", error: "invalid_state" });
      const events = await api<{ items: unknown[] }>(`/ml/accounts/${result.accountId}/events`, { token: session.accessToken });
      expect(events.body.items).toHaveLength(1);
    } finally {
      await purge(session, result.accountId);
    }
  });

  it("a PKCE mismatch (code issued for another flow's challenge) is rejected by ML and stores nothing", async () => {
    const session = await registerUser();
    const flowA = await startFlow(session);
    const flowB = await startFlow(session);
    const authorizedA = await authorize(flowA.url, { sandbox_user: String(DEMO_SELLER_ID) });
    const codeA = new URL(authorizedA.location!).searchParams.get("code")!;
    // Flow B's state carries flow B's verifier; ML checks it against flow A's challenge when the grant is completed.
    const callback = await followCallback(`http://api.test/ml/auth/callback?code=${codeA}&state=${flowB.state}`);
    expect(callback.outcome).toBe("pending");
    const completed = await completeGrant(session, callback.grant);
    expect(completed.status).toBe(400);
    expect(completed.headers.get("content-type")).toContain("application/problem+json");
    expect(completed.body.errors).toEqual([expect.objectContaining({ path: "body.grant", code: "code_rejected" })]);
    expect((await api<{ items: unknown[] }>("/ml/accounts", { token: session.accessToken })).body.items).toEqual([]);
  });

  it("a reused authorization code is rejected by ML", async () => {
    const session = await registerUser();
    const first = await connect(session, DEMO_SELLER_ID);
    try {
      const code = new URL(`http://api.test${first.callback.callbackPath}`).searchParams.get("code")!;
      const { state } = await startFlow(session);
      const callback = await followCallback(`http://api.test/ml/auth/callback?code=${code}&state=${state}`);
      const completed = await completeGrant(session, callback.grant);
      expect(completed.status).toBe(400);
      expect(completed.body.errors).toEqual([expect.objectContaining({ path: "body.grant", code: "code_rejected" })]);
    } finally {
      await purge(session, first.accountId);
    }
  });

  it("the same ML user cannot be attached to a second AutoEcom user (409)", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const first = await connect(alice, SECOND_SELLER_ID);
    try {
      expect(first.outcome).toBe("connected");
      const second = await connect(bob, SECOND_SELLER_ID);
      expect(second).toMatchObject({ outcome: "error", completed: { status: 409, body: { code: "conflict" } } });
      expect(second.completed.headers.get("content-type")).toContain("application/problem+json");
      expect((await api<{ items: unknown[] }>("/ml/accounts", { token: bob.accessToken })).body.items).toEqual([]);
      const alices = await api<{ items: { id: string; status: string }[] }>("/ml/accounts", { token: alice.accessToken });
      expect(alices.body.items).toEqual([expect.objectContaining({ id: first.accountId, status: "active" })]);
    } finally {
      await purge(alice, first.accountId);
    }
  });

  it("a callback without state, or without code and error, is a 400 with field details", async () => {
    const missingState = await api("/ml/auth/callback?code=TG-abc");
    expect(missingState.status).toBe(400);
    expect(problemFields(missingState.body)).toContain("query.state");
    const missingCode = await api("/ml/auth/callback?state=abc");
    expect(missingCode.status).toBe(400);
    expect(problemFields(missingCode.body)).toContain("query.code");
  });

  it("disconnect keeps the row without tokens; purge removes it; the seller can connect again", async () => {
    const session = await registerUser();
    const first = await connect(session, DEMO_SELLER_ID);
    const bad = await api(`/ml/accounts/${first.accountId}?purge=yes`, { method: "DELETE", token: session.accessToken });
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body)).toEqual(["query.purge"]);

    expect((await api(`/ml/accounts/${first.accountId}`, { method: "DELETE", token: session.accessToken })).status).toBe(204);
    const row = await rawAccountRow(testServices(), first.accountId!);
    expect(row).toMatchObject({ status: "disconnected", access_token_enc: null, refresh_token_enc: null, token_key_id: null });
    const refresh = await api(`/ml/accounts/${first.accountId}/refresh`, { method: "POST", token: session.accessToken });
    expect(refresh.status).toBe(409);

    const again = await connect(session, DEMO_SELLER_ID);
    expect(again).toMatchObject({ outcome: "reconnected", accountId: first.accountId });
    expect((await api(`/ml/accounts/${first.accountId}?purge=true`, { method: "DELETE", token: session.accessToken })).status).toBe(204);
    expect(await rawAccountRow(testServices(), first.accountId!)).toBeUndefined();
    expect((await api<{ items: unknown[] }>("/ml/accounts", { token: session.accessToken })).body.items).toEqual([]);
  });
  it("a seller's notifications are accepted as soon as it connects and dropped once it disconnects", async () => {
    const session = await registerUser();
    const appId = Number((env as unknown as Record<string, string>).ML_APP_ID);
    const notify = () =>
      api<{ status: string; reason?: string }>("/webhooks/ml", {
        method: "POST",
        json: {
          _id: crypto.randomUUID(),
          resource: `/orders/${2_000_000_000 + Math.floor(Math.random() * 1e9)}`,
          user_id: SECOND_SELLER_ID,
          topic: "orders_v2",
          application_id: appId,
          attempts: 1,
          sent: new Date().toISOString(),
          received: new Date().toISOString(),
        },
      });
    // Not connected yet: dropped, and that answer is now cached at the edge.
    expect((await notify()).body).toMatchObject({ status: "dropped", reason: "unknown_account" });

    const connected = await connect(session, SECOND_SELLER_ID);
    expect(connected.outcome).toBe("connected");
    // The cached "not ours" must not outlive the connection: the very next notification is taken.
    expect((await notify()).body).toMatchObject({ status: "accepted" });

    expect((await api(`/ml/accounts/${connected.accountId}`, { method: "DELETE", token: session.accessToken })).status).toBe(204);
    expect((await notify()).body).toMatchObject({ status: "dropped", reason: "unknown_account" });
    await purge(session, connected.accountId);
  });

  it("ATTACK: a consent URL started by someone else connects nobody: the seller's dashboard cannot complete it, and then neither can the starter", async () => {
    const attacker = await registerUser();
    const victim = await registerUser();

    // The attacker starts and sends the genuine consent URL; the victim's browser consents and lands on the dashboard with the grant.
    const grant = await grantStartedBy(attacker, SECOND_SELLER_ID);
    // The victim's dashboard completes it as the victim, who did not start it: refused, and the grant is spent.
    const asVictim = await completeGrant(victim, grant);
    expect(asVictim.status).toBe(403);
    expect(asVictim.headers.get("content-type")).toContain("application/problem+json");
    expect(asVictim.body).toMatchObject({ code: "forbidden" });
    // Should the victim pass the URL on to the attacker afterwards, it is worth nothing.
    const asAttacker = await completeGrant(attacker, grant);
    expect(asAttacker.status).toBe(400);
    expect(asAttacker.body.errors).toEqual([expect.objectContaining({ path: "body.grant", code: "unknown_or_used" })]);

    expect(await accountsOf(attacker)).toEqual([]);
    expect(await accountsOf(victim)).toEqual([]);
    // Nothing was stored for the seller under anyone: the victim's own connection is a first connection.
    const own = await connect(victim, SECOND_SELLER_ID);
    expect(own.completed.status).toBe(201);
    await purge(victim, own.accountId);
  });

  it("a grant completes once: a second completion is refused and changes nothing", async () => {
    const session = await registerUser();
    const grant = await grantStartedBy(session, DEMO_SELLER_ID);
    const first = await completeGrant(session, grant);
    expect(first.status).toBe(201);
    const accountId = String(first.body.id);
    try {
      const again = await completeGrant(session, grant);
      expect(again.status).toBe(400);
      expect(again.body.errors).toEqual([expect.objectContaining({ path: "body.grant", code: "unknown_or_used" })]);
      const events = await api<{ items: unknown[] }>(`/ml/accounts/${accountId}/events`, { token: session.accessToken });
      expect(events.body.items).toHaveLength(1);
    } finally {
      await purge(session, accountId);
    }
  });

  it("an expired, unknown, malformed or missing grant is a 400 on body.grant; an anonymous completion a 401; nothing is stored", async () => {
    const session = await registerUser();
    const grant = await grantStartedBy(session, DEMO_SELLER_ID);
    const services = testServices();
    // Five minutes pass: Redis drops the grant (its TTL).
    await services.redis.pexpire(services.key("ml", "oauth-grant", await sha256Hex(grant)), 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const expired = await completeGrant(session, grant);
    expect(expired.status).toBe(400);
    expect(expired.body.errors).toEqual([expect.objectContaining({ path: "body.grant", code: "unknown_or_used" })]);

    const unknown = await completeGrant(session, "A".repeat(43));
    expect(unknown.status).toBe(400);
    expect(problemFields(unknown.body)).toEqual(["body.grant"]);
    for (const bad of ["short", null]) {
      const malformed = await completeGrant(session, bad);
      expect(malformed.status).toBe(400);
      expect(problemFields(malformed.body)).toEqual(["body.grant"]);
    }
    expect((await api("/ml/auth/complete", { method: "POST", json: { grant } })).status).toBe(401);
    expect(await accountsOf(session)).toEqual([]);
  });

  it("a disconnect that committed answers 204 even when the seller cache cannot be forgotten (Redis unreachable)", async () => {
    const session = await registerUser();
    const seeded = await seedAccount(testServices(), session.user.id);
    const config = readConfig(env as unknown as Record<string, string>);
    const redisDown = buildServices({ ...config, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" }, `test-${crypto.randomUUID()}`);
    await expect(disconnectAccount(redisDown, { userId: session.user.id, sessionId: "test" }, seeded.id, { purge: false })).resolves.toBeUndefined();
    expect(await rawAccountRow(testServices(), seeded.id)).toMatchObject({ status: "disconnected", access_token_enc: null });
    await purge(session, seeded.id);
  });

  it("the OpenAPI document describes the completion", async () => {
    const doc = await api<{ paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown>; security?: unknown }>> }>("/openapi.json");
    const complete = doc.body.paths["/ml/auth/complete"]!.post!;
    expect(complete.requestBody).toBeDefined();
    expect(Object.keys(complete.responses)).toEqual(expect.arrayContaining(["200", "201", "400", "401", "403", "409"]));
    expect(complete.security).toEqual([{ bearerAuth: [] }]);
  });
});
