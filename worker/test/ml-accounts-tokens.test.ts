import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MlAccountUnavailableError, createMlServices, mlConfigFromEnv, tokenContext } from "#integrations/mercadolibre";
import { createTokenCipher } from "#core/token-cipher";
import { findMlAccount, listMlAccountEvents } from "#db/queries/ml-accounts";
import { readConfig } from "../src/env";
import { api, registerUser } from "./support/api";
import { endpointCalls, expireInDb, rawAccountRow, sandbox, seedAccount, testServices, tokenEndpointCalls } from "./support/ml";

const config = () => readConfig(env as unknown as Record<string, string>);

// Counter deltas on the shared sandbox: these tests run one at a time.
describe.sequential("the token lifecycle inside the Worker", () => {
  it("20 concurrent token requests for an expired account make exactly one refresh, and all get the new token", async () => {
    const user = await registerUser();
    const services = testServices();
    const seeded = await seedAccount(services, user.user.id, { expired: true });
    const before = await tokenEndpointCalls();

    // Each caller is its own request's services, as 20 concurrent Worker requests would be.
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 20 }, async () => (await testServices().ml()).tokens.getAccessToken(seeded.id)));
    const elapsedMs = Math.round(performance.now() - started);

    const after = await tokenEndpointCalls();
    expect(after.count - before.count).toBe(1);
    expect((after.byStatus["200"] ?? 0) - (before.byStatus["200"] ?? 0)).toBe(1);
    const tokens = new Set(results.map((r) => r.token));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).not.toBe(seeded.accessToken);
    expect(results.filter((r) => r.refreshed)).toHaveLength(1);
    console.info(JSON.stringify({ measurement: "20 concurrent callers, expired token (workerd, Neon WS pool)", elapsedMs, tokenEndpointCalls: after.count - before.count }));

    // The stored refresh token is the newest: ML accepts it (and the original one is dead).
    const row = (await findMlAccount(services.db, seeded.id))!;
    const cipher = await createTokenCipher(config().TOKEN_ENCRYPTION_KEYS!);
    const storedRefresh = await cipher.open(row.refreshTokenEnc!, tokenContext(seeded.id, "refresh"));
    expect(storedRefresh).not.toBe(seeded.refreshToken);
    const oldUse = await fetch(`${new URL("/oauth/token", config().ML_API_URL)}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", client_id: config().ML_APP_ID!, client_secret: config().ML_CLIENT_SECRET!, refresh_token: seeded.refreshToken }),
    });
    expect(oldUse.status).toBe(400);
    expect(((await oldUse.json()) as { error: string }).error).toBe("invalid_grant");
    // And the account still works with what was stored.
    const forced = await (await testServices().ml()).tokens.getAccessToken(seeded.id, { forceRefresh: true });
    expect(forced.refreshed).toBe(true);
  });

  it("20 concurrent manual refreshes over HTTP all succeed and never break the grant", async () => {
    const user = await registerUser();
    const seeded = await seedAccount(testServices(), user.user.id);
    const before = await tokenEndpointCalls();
    const responses = await Promise.all(Array.from({ length: 20 }, () => api<{ status: string }>(`/ml/accounts/${seeded.id}/refresh`, { method: "POST", token: user.accessToken })));
    const after = await tokenEndpointCalls();
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(responses.every((r) => r.body.status === "active")).toBe(true);
    expect((after.byStatus["400"] ?? 0) - (before.byStatus["400"] ?? 0)).toBe(0);
    const calls = after.count - before.count;
    // Waiters take the refresh that finished while they waited; only late arrivals rotate again.
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThan(20);
    console.info(JSON.stringify({ measurement: "20 concurrent POST /ml/accounts/:id/refresh", tokenEndpointCalls: calls }));
  });

  it("a 401 from ML gets exactly one refresh and one retry", async () => {
    const user = await registerUser();
    const services = testServices();
    const seeded = await seedAccount(services, user.user.id);
    // ML kills the access token early (password change, internal revocation); our row still believes in it.
    await sandbox("/_sandbox/tokens/expire", { json: { access_token: seeded.accessToken } });
    const tokensBefore = await tokenEndpointCalls();
    const meBefore = await endpointCalls("GET /users/me");

    const { data: me } = await (await services.ml()).client.request<{ id: number }>(seeded.id, "GET", "/users/me");
    expect(me.id).toBe(seeded.mlUserId);
    expect((await tokenEndpointCalls()).count - tokensBefore.count).toBe(1);
    expect((await endpointCalls("GET /users/me")) - meBefore).toBe(2);
    const row = await findMlAccount(services.db, seeded.id);
    expect(row!.lastApiCallAt).not.toBeNull();
  });

  it("a crash between ML's token answer and our write ends in reauth_required, never in a dead grant reported as active", async () => {
    const user = await registerUser();
    const services = testServices();
    const seeded = await seedAccount(services, user.user.id);
    // The crash: ML rotated the refresh token (its answer is lost with the process); our row still holds the old one.
    const lost = await fetch(`${new URL("/oauth/token", config().ML_API_URL)}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", client_id: config().ML_APP_ID!, client_secret: config().ML_CLIENT_SECRET!, refresh_token: seeded.refreshToken }),
    });
    expect(lost.status).toBe(200);

    // Until the access token needs replacing, the account is honestly active: its access token still works at ML.
    const ml = await services.ml();
    expect((await ml.client.request<{ id: number }>(seeded.id, "GET", "/users/me")).data.id).toBe(seeded.mlUserId);

    // The next refresh (a caller, the scheduler or a manual one) finds the grant dead and says so.
    await expireInDb(services, seeded.id);
    const before = await tokenEndpointCalls();
    await expect(ml.tokens.getAccessToken(seeded.id)).rejects.toBeInstanceOf(MlAccountUnavailableError);
    expect((await tokenEndpointCalls()).count - before.count).toBe(1);

    const row = await rawAccountRow(services, seeded.id);
    expect(row).toMatchObject({ status: "reauth_required", access_token_enc: null, refresh_token_enc: null });
    const events = await listMlAccountEvents(services.db, seeded.id);
    expect(events.map((e) => e.type)).toEqual(["reauth_required"]);
    const listed = await api<{ items: { id: string; status: string }[] }>("/ml/accounts", { token: user.accessToken });
    expect(listed.body.items.find((a) => a.id === seeded.id)?.status).toBe("reauth_required");

    // No retries and no loop: further calls fail fast without touching ML.
    const again = await tokenEndpointCalls();
    await expect(ml.client.request(seeded.id, "GET", "/users/me")).rejects.toMatchObject({ status: 409, retryable: false });
    const refresh = await api(`/ml/accounts/${seeded.id}/refresh`, { method: "POST", token: user.accessToken });
    expect(refresh.status).toBe(409);
    expect((await tokenEndpointCalls()).count).toBe(again.count);
  });

  it("the raw row holds no plaintext token, and a ciphertext moved to another row does not open", async () => {
    const user = await registerUser();
    const services = testServices();
    const a = await seedAccount(services, user.user.id);
    const b = await seedAccount(services, user.user.id);
    const raw = JSON.stringify(await rawAccountRow(services, a.id));
    expect(raw).not.toContain(a.accessToken);
    expect(raw).not.toContain(a.refreshToken);
    expect(raw).not.toMatch(/APP_USR-|TG-/);

    const rowA = (await findMlAccount(services.db, a.id))!;
    const cipher = await createTokenCipher(config().TOKEN_ENCRYPTION_KEYS!);
    await expect(cipher.open(rowA.accessTokenEnc!, tokenContext(b.id, "access"))).rejects.toThrow(/failed authentication/);
    await expect(cipher.open(rowA.accessTokenEnc!, tokenContext(a.id, "refresh"))).rejects.toThrow(/failed authentication/);
    expect(await cipher.open(rowA.accessTokenEnc!, tokenContext(a.id, "access"))).toBe(a.accessToken);
  });

  it("a row sealed under the previous key stays readable after the current key changes", async () => {
    const user = await registerUser();
    const services = testServices();
    // Seal with the old key order (k1 current), as a deployment before the rotation did.
    const keys = config().TOKEN_ENCRYPTION_KEYS!.split(",");
    const oldCipher = await createTokenCipher([keys[1], keys[0]].join(","));
    const oldMl = createMlServices({ db: services.db, transaction: services.transaction, cipher: oldCipher, config: mlConfigFromEnv(config())!, log: services.logger });
    const seeded = await seedAccount(services, user.user.id);
    const row = (await findMlAccount(services.db, seeded.id))!;
    const sealed = await oldMl.tokens.sealTokens(seeded.id, {
      accessToken: seeded.accessToken,
      refreshToken: seeded.refreshToken,
      expiresAt: row.accessExpiresAt!,
      expiresInSeconds: 21_600,
      userId: 410_000_001,
      scope: row.scope,
    });
    expect(sealed.tokenKeyId).toBe("k1");
    await services.transaction(async (tx) => {
      const { storeRefreshedTokens } = await import("#db/queries/ml-accounts");
      await storeRefreshedTokens(tx, seeded.id, sealed, new Date());
    });
    expect((await rawAccountRow(services, seeded.id))!.token_key_id).toBe("k1");
    const token = await (await services.ml()).tokens.getAccessToken(seeded.id);
    expect(token.token).toBe(seeded.accessToken);
    // A refresh re-seals under the current key.
    await (await services.ml()).tokens.getAccessToken(seeded.id, { forceRefresh: true });
    expect((await rawAccountRow(services, seeded.id))!.token_key_id).toBe("k2");
  });

  it("tenant isolation: another user cannot see, refresh, read events of or delete an account (404)", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const seeded = await seedAccount(testServices(), alice.user.id);
    const bobs = await api<{ items: unknown[] }>("/ml/accounts", { token: bob.accessToken });
    expect(bobs.body.items).toEqual([]);
    for (const [method, path] of [
      ["POST", `/ml/accounts/${seeded.id}/refresh`],
      ["DELETE", `/ml/accounts/${seeded.id}`],
      ["DELETE", `/ml/accounts/${seeded.id}?purge=true`],
      ["GET", `/ml/accounts/${seeded.id}/events`],
    ] as const) {
      const response = await api(path, { method, token: bob.accessToken });
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    // Indistinguishable from an id that does not exist.
    const missing = await api(`/ml/accounts/${crypto.randomUUID()}/refresh`, { method: "POST", token: bob.accessToken });
    expect(missing.status).toBe(404);
    expect((await api(`/ml/accounts/not-a-uuid/refresh`, { method: "POST", token: bob.accessToken })).status).toBe(400);
    const alices = await api<{ items: { id: string; status: string }[] }>("/ml/accounts", { token: alice.accessToken });
    expect(alices.body.items).toEqual([expect.objectContaining({ id: seeded.id, status: "active" })]);
  });
});
