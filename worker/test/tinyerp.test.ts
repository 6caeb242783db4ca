import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "#core/crypto";
import { TinyAccountUnavailableError, tinyTokenContext } from "#integrations/tiny";
import { createTokenCipher } from "#core/token-cipher";
import { findTinyAccount, listTinyAccountEvents } from "#db/queries/tiny";
import { tinyProductLinks, tinyStockLevels } from "#db/schema";
import { problemFields, registerUser, type Session } from "./support/api";
import {
  api,
  authorize,
  browserGet,
  completeGrant,
  config,
  connect,
  countingFetch,
  followCallback,
  rawAccountRow,
  sandbox,
  sandboxProducts,
  seedAccount,
  seedListings,
  setAccountColumns,
  startFlow,
  testServices,
  tinyServices,
  tinyUrl,
} from "./support/tiny";

/** Start as `starter`, then the company's browser consents and lands on the dashboard with the grant. */
async function grantStartedBy(starter: Session): Promise<string> {
  const { url } = await startFlow(starter);
  const callback = await followCallback((await authorize(url)).location!);
  expect(callback.outcome).toBe("pending");
  return callback.grant!;
}

const accountsOf = async (session: Session) => (await api<{ items: unknown[] }>("/tinyerp/accounts", { token: session.accessToken })).body.items;

// One file on purpose: some tests move the shared sandbox (quotas), so nothing else may call it meanwhile.
describe.sequential("Tiny ERP", () => {
  describe.sequential("connect (OAuth2 v3 through real redirects)", () => {
    it("connects: authorization URL with PKCE, callback hands the dashboard a grant, completing it stores the company from /info with sealed tokens", async () => {
      const user = await registerUser();
      const { url, state } = await startFlow(user);
      expect(`${url.origin}${url.pathname}`).toBe(`${tinyUrl()}/realms/tiny/protocol/openid-connect/auth`);
      expect(url.searchParams.get("client_id")).toBe(config().TINY_CLIENT_ID);
      expect(url.searchParams.get("redirect_uri")).toBe("http://api.test/tinyerp/auth/callback");
      expect(url.searchParams.get("response_type")).toBe("code");
      expect(url.searchParams.get("code_challenge_method")).toBe("S256");
      expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const authorized = await authorize(url);
      expect(authorized.status).toBe(302);
      const callback = await followCallback(authorized.location!);
      expect(callback).toMatchObject({ outcome: "pending", error: null });
      expect(callback.grant).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const completed = await completeGrant(user, callback.grant);
      expect(completed.status).toBe(201);
      const result = { accountId: String(completed.body.id) };

      const company = await sandbox<{ account: { razaoSocial: string; cnpj: string } }>("/_sandbox");
      const listed = await api<{ items: Array<Record<string, unknown>> }>("/tinyerp/accounts", { token: user.accessToken });
      expect(listed.status).toBe(200);
      expect(listed.body.items).toHaveLength(1);
      expect(listed.body.items[0]).toMatchObject({
        id: result.accountId,
        companyName: company.account.razaoSocial,
        cnpj: company.account.cnpj.replace(/\D/g, ""),
        status: "active",
        lastError: null,
      });
      // The completion answers the account exactly as the list shows it.
      expect(completed.body).toEqual(listed.body.items[0]);
      // Never a token in what the API returns.
      expect(JSON.stringify(listed.body)).not.toMatch(/eyJ|token"\s*:\s*"v1\./);

      const services = testServices();
      const row = (await rawAccountRow(services, result.accountId!))!;
      expect(String(row.access_token_enc)).toMatch(/^v1\.k2\./);
      expect(String(row.refresh_token_enc)).toMatch(/^v1\.k2\./);
      expect(row.token_key_id).toBe("k2");
      const events = await listTinyAccountEvents(services.db, result.accountId!);
      expect(events.map((e) => e.type)).toEqual(["connected"]);

      // Connecting the same company again refreshes the grant on the same row.
      const again = await connect(user);
      expect(again).toMatchObject({ outcome: "reconnected", accountId: result.accountId, completed: { status: 200 } });
    });

    it("denied consent: nothing stored, and the state is spent", async () => {
      const user = await registerUser();
      const { url } = await startFlow(user);
      const denied = await authorize(url, { sandbox_decision: "deny" });
      expect(new URL(denied.location!).searchParams.get("error")).toBe("access_denied");
      const result = await followCallback(denied.location!);
      expect(result).toMatchObject({ outcome: "error", error: "access_denied", status: "403", grant: null });
      const listed = await api<{ items: unknown[] }>("/tinyerp/accounts", { token: user.accessToken });
      expect(listed.body.items).toEqual([]);
      // The same state cannot be used again, e.g. with a code obtained later.
      const replay = await followCallback(`http://api.test${result.callbackPath.replace(/error=[^&]*/, "code=whatever")}`);
      expect(replay.error).toBe("invalid_state");
    });

    it("a tampered, expired or reused state is refused, and a reused code is rejected by Tiny", async () => {
      const user = await registerUser();
      const services = testServices();

      // Tampered: one character changed.
      const first = await startFlow(user);
      const authorized = await authorize(first.url);
      const location = new URL(authorized.location!);
      const goodState = location.searchParams.get("state")!;
      location.searchParams.set("state", `${goodState.slice(0, -1)}${goodState.endsWith("A") ? "B" : "A"}`);
      expect((await followCallback(location.toString())).error).toBe("invalid_state");

      // The genuine one still works once…
      location.searchParams.set("state", goodState);
      const ok = await followCallback(location.toString());
      expect(ok.outcome).toBe("pending");
      expect((await completeGrant(user, ok.grant)).status).toBe(201);
      // …and only once.
      const reused = await followCallback(location.toString());
      expect(reused).toMatchObject({ error: "invalid_state", status: "400" });

      // The same code with a fresh state: Tiny refuses it (single-use) when the grant is completed.
      const second = await startFlow(user);
      const replayCode = new URL(location);
      replayCode.searchParams.set("state", second.state);
      const codeReused = await completeGrant(user, (await followCallback(replayCode.toString())).grant);
      expect(codeReused.status).toBe(400);
      expect(codeReused.body.errors).toEqual([expect.objectContaining({ path: "body.grant", code: "code_rejected" })]);

      // Expired: the state's record outlives its TTL by nothing.
      const third = await startFlow(user);
      await services.redis.pexpire(services.key("tiny", "oauth-state", await sha256Hex(third.state)), 1);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const thirdAuth = await authorize(third.url);
      expect((await followCallback(thirdAuth.location!)).error).toBe("invalid_state");
    });

    it("callback without state, or with neither code nor error, is a 400 with field details", async () => {
      const noState = await browserGet("/tinyerp/auth/callback?code=abc");
      expect(noState.status).toBe(400);
      expect(problemFields(JSON.parse(noState.body))).toContain("query.state");
      const nothing = await browserGet("/tinyerp/auth/callback?state=abc");
      expect(nothing.status).toBe(400);
      expect(problemFields(JSON.parse(nothing.body))).toContain("query.code");
      const anonymous = await api("/tinyerp/auth/connect", { method: "POST" });
      expect(anonymous.status).toBe(401);
    });

    it("the provider's own error text never reaches the dashboard URL: it maps to a fixed outcome code", async () => {
      const user = await registerUser();
      const { state } = await startFlow(user);
      const result = await followCallback(
        `http://api.test/tinyerp/auth/callback?state=${state}&error=${encodeURIComponent("temporarily_unavailable: call +55 11 5555-0000")}&error_description=${encodeURIComponent("<b>pay here</b>")}`,
      );
      expect(result).toMatchObject({ outcome: "error", error: "authorization_failed", status: "400", grant: null });
      expect(result.message).toBe("Tiny did not authorize the connection; start again.");
      expect(await accountsOf(user)).toEqual([]);
    });

    it("ATTACK: a consent URL started by someone else connects nobody: the company's dashboard cannot complete it, and then neither can the starter", async () => {
      const attacker = await registerUser();
      const victim = await registerUser();

      // The attacker starts and sends the genuine consent URL; the victim's browser consents and lands on the dashboard with the grant.
      const grant = await grantStartedBy(attacker);
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
    });

    it("a grant completes once; an expired, unknown or malformed one is a 400 on body.grant; an anonymous completion a 401", async () => {
      const user = await registerUser();
      const grant = await grantStartedBy(user);
      expect((await completeGrant(user, grant)).status).toBe(201);
      const again = await completeGrant(user, grant);
      expect(again.status).toBe(400);
      expect(again.body.errors).toEqual([expect.objectContaining({ path: "body.grant", code: "unknown_or_used" })]);
      expect(await accountsOf(user)).toHaveLength(1);

      const other = await registerUser();
      const late = await grantStartedBy(other);
      const services = testServices();
      // Five minutes pass: Redis drops the grant (its TTL).
      await services.redis.pexpire(services.key("tiny", "oauth-grant", await sha256Hex(late)), 1);
      await new Promise((resolve) => setTimeout(resolve, 30));
      const expired = await completeGrant(other, late);
      expect(expired.status).toBe(400);
      expect(expired.body.errors).toEqual([expect.objectContaining({ path: "body.grant", code: "unknown_or_used" })]);
      for (const bad of ["A".repeat(43), "short", null]) {
        const refused = await completeGrant(other, bad);
        expect(refused.status).toBe(400);
        expect(problemFields(refused.body)).toEqual(["body.grant"]);
      }
      expect((await api("/tinyerp/auth/complete", { method: "POST", json: { grant } })).status).toBe(401);
      expect(await accountsOf(other)).toEqual([]);
    });
  });

  describe.sequential("tokens", () => {
    it("an expired access token is refreshed on use; the rotated refresh token is stored and the old one is dead", async () => {
      const user = await registerUser();
      const services = testServices();
      const seeded = await seedAccount(services, user.user.id, { expired: true });
      const page = await api<{ items: unknown[] }>(`/tinyerp/products?accountId=${seeded.id}&limit=2`, { token: user.accessToken });
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(2);

      const row = (await findTinyAccount(services.db, seeded.id))!;
      expect(row.accessExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 3 * 3600_000);
      expect(row.lastRefreshAt!.getTime()).toBeGreaterThan(Date.now() - 60_000);
      const cipher = await createTokenCipher(config().TOKEN_ENCRYPTION_KEYS!);
      const storedRefresh = await cipher.open(row.refreshTokenEnc!, tinyTokenContext(seeded.id, "refresh"));
      expect(storedRefresh).not.toBe(seeded.refreshToken);
      const oldUse = await fetch(`${config().TINY_AUTH_URL}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", client_id: config().TINY_CLIENT_ID!, client_secret: config().TINY_CLIENT_SECRET!, refresh_token: seeded.refreshToken }),
      });
      expect(oldUse.status).toBe(400);
      expect(((await oldUse.json()) as { error: string }).error).toBe("invalid_grant");
    });

    it("10 concurrent callers of an expired account make exactly one token call and share its token", async () => {
      const user = await registerUser();
      const seeded = await seedAccount(testServices(), user.user.id, { expired: true });
      const counter = countingFetch();
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: 10 }, async () => (await tinyServices(testServices(), { fetch: counter.fetch })).tokens.getAccessToken(seeded.id)));
      const elapsedMs = Math.round(performance.now() - started);
      expect(counter.tokenCalls()).toBe(1);
      expect(new Set(results.map((r) => r.token)).size).toBe(1);
      expect(results.filter((r) => r.refreshed)).toHaveLength(1);
      console.info(JSON.stringify({ measurement: "tiny: 10 concurrent callers, expired token (workerd, Neon WS pool)", elapsedMs, tokenCalls: counter.tokenCalls() }));
    });

    it("a token Tiny rejects (401) is renewed once and the call retried once", async () => {
      const user = await registerUser();
      const services = testServices();
      const seeded = await seedAccount(services, user.user.id);
      const tiny = await services.tiny();
      // Our row still believes in its access token; Tiny does not know it.
      await setAccountColumns(services, seeded.id, {
        accessTokenEnc: await (await createTokenCipher(config().TOKEN_ENCRYPTION_KEYS!)).seal("not-a-tiny-token", tinyTokenContext(seeded.id, "access")),
      });
      const counter = countingFetch();
      const instrumented = await tinyServices(services, { fetch: counter.fetch });
      const info = await instrumented.client.forAccount(seeded.id).info();
      expect(info.razaoSocial).toBeTruthy();
      expect(counter.tokenCalls()).toBe(1);
      expect(counter.apiCalls()).toBe(2);
      expect((await tiny.tokens.getAccessToken(seeded.id)).token).not.toBe("not-a-tiny-token");
    });

    it("a refresh token rotated away elsewhere ends in reauth_required, visibly, and calls answer 409", async () => {
      const user = await registerUser();
      const services = testServices();
      const seeded = await seedAccount(services, user.user.id, { expired: true });
      // Someone else (a second refresher) used our refresh token: Tiny rotated it away.
      const stolen = await fetch(`${config().TINY_AUTH_URL}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", client_id: config().TINY_CLIENT_ID!, client_secret: config().TINY_CLIENT_SECRET!, refresh_token: seeded.refreshToken }),
      });
      expect(stolen.status).toBe(200);

      const call = await api(`/tinyerp/products?accountId=${seeded.id}`, { token: user.accessToken });
      expect(call.status).toBe(409);
      const listed = await api<{ items: Array<{ id: string; status: string; lastError: string | null }> }>("/tinyerp/accounts", { token: user.accessToken });
      const account = listed.body.items.find((a) => a.id === seeded.id)!;
      expect(account.status).toBe("reauth_required");
      expect(account.lastError).toMatch(/invalid_grant/);
      const events = await api<{ items: Array<{ type: string; level: string }> }>(`/tinyerp/accounts/${seeded.id}/events`, { token: user.accessToken });
      expect(events.body.items[0]).toMatchObject({ type: "reauth_required", level: "error" });
      const row = (await rawAccountRow(services, seeded.id))!;
      expect(row.access_token_enc).toBeNull();
      expect(row.refresh_token_enc).toBeNull();
      await expect((await services.tiny()).tokens.getAccessToken(seeded.id)).rejects.toBeInstanceOf(TinyAccountUnavailableError);
    });
  });

  describe.sequential("products, inventory and quota", () => {
    it("lists products with filters and pagination, and caches what it saw", async () => {
      const user = await registerUser();
      const services = testServices();
      const seeded = await seedAccount(services, user.user.id);
      const page = await api<{ items: Array<{ id: number; sku: string; prices: { price: number } }>; pagination: { limit: number; offset: number; total: number } }>(
        "/tinyerp/products?limit=5&offset=5",
        { token: user.accessToken },
      );
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(5);
      expect(page.body.pagination).toEqual({ limit: 5, offset: 5, total: 40 });
      const bySku = await api<{ items: Array<{ sku: string; name: string; createdAt: string | null }> }>("/tinyerp/products?sku=SKU-7", { token: user.accessToken });
      expect(bySku.body.items.map((p) => p.sku)).toEqual(["SKU-7"]);
      expect(bySku.body.items[0]!.createdAt).toMatch(/Z$/);
      const cached = await services.db.execute(sql`select sku, name from tiny_products where account_id = ${seeded.id}`);
      const cachedSkus = (cached.rows as Array<{ sku: string }>).map((r) => r.sku);
      expect(cachedSkus).toEqual(expect.arrayContaining(["SKU-7", ...page.body.items.map((p) => p.sku)]));

      const bad = await api("/tinyerp/products?limit=500&status=X&gtin=abc", { token: user.accessToken });
      expect(bad.status).toBe(400);
      expect(problemFields(bad.body)).toEqual(expect.arrayContaining(["query.limit", "query.status", "query.gtin"]));
    });

    it("reads stock per product and deposit; unknown products and too many ids are 4xx with field details", async () => {
      const user = await registerUser();
      const seeded = await seedAccount(testServices(), user.user.id);
      const products = await sandboxProducts();
      const ids = [products.get("SKU-1")!, products.get("SKU-2")!];
      const stock = await api<{ accountId: string; items: Array<{ productId: number; sku: string; physical: number; deposits: Array<{ name: string; excludedFromTotals: boolean }> }> }>(
        `/tinyerp/inventory?productIds=${ids.join(",")}`,
        { token: user.accessToken },
      );
      expect(stock.status).toBe(200);
      expect(stock.body.accountId).toBe(seeded.id);
      expect(stock.body.items.map((i) => i.sku)).toEqual(["SKU-1", "SKU-2"]);
      expect(stock.body.items[0]!.deposits.map((d) => d.name)).toContain("Geral");
      expect(typeof stock.body.items[0]!.physical).toBe("number");

      const unknown = await api(`/tinyerp/inventory?productIds=999999999`, { token: user.accessToken });
      expect(unknown.status).toBe(404);
      expect(problemFields(unknown.body)).toEqual(["query.productIds"]);
      const tooMany = await api(`/tinyerp/inventory?productIds=${Array.from({ length: 11 }, (_, i) => i + 1).join(",")}`, { token: user.accessToken });
      expect(tooMany.status).toBe(400);
      expect(problemFields(tooMany.body)).toEqual(["query.productIds"]);
      const malformed = await api(`/tinyerp/inventory?productIds=1,abc`, { token: user.accessToken });
      expect(malformed.status).toBe(400);
    });

    it("without product ids: the stock sync's last reads, paged, with the ML listings each product feeds — and no Tiny call", async () => {
      const user = await registerUser();
      const services = testServices();
      const account = await seedAccount(services, user.user.id);
      const ml = await seedListings(services, user.user.id);
      const products = await sandboxProducts();
      const productId = products.get("SKU-1")!;
      await api("/tinyerp/product-links", { method: "PUT", token: user.accessToken, json: { links: [{ mlItemId: ml.simple, tinyAccountId: account.id, tinyProductId: productId }] } });
      const readAt = new Date("2026-11-29T12:00:00Z");
      await services.db.insert(tinyStockLevels).values({
        accountId: account.id,
        tinyProductId: productId,
        physical: "12",
        reserved: "2",
        available: "10",
        deposits: [{ id: 1, name: "Geral", physical: 12, reserved: 2, available: 10, counted: true }],
        fetchedAt: readAt,
        changedAt: readAt,
      });
      await services.db.update(tinyProductLinks).set({ mlPushedQuantity: 10, mlPushedAt: readAt }).where(eq(tinyProductLinks.tinyAccountId, account.id));
      const stockReads = async () => (await sandbox<{ counts: Record<string, number> }>("/_sandbox/counters")).counts["GET /public-api/v3/estoque/:idProduto"] ?? 0;
      const before = await stockReads();
      const stored = await api<{ items: Array<Record<string, unknown>>; pagination: unknown }>("/tinyerp/inventory", { token: user.accessToken });
      expect(stored.status).toBe(200);
      expect(stored.body.pagination).toEqual({ limit: 50, offset: 0, total: 1 });
      expect(stored.body.items).toEqual([
        expect.objectContaining({
          productId,
          source: "stored",
          physical: 12,
          available: 10,
          readAt: readAt.toISOString(),
          deposits: [{ id: 1, name: "Geral", excludedFromTotals: false, physical: 12, reserved: 2, available: 10 }],
          links: [{ mlItemId: ml.simple, mlVariationId: null, mlQuantity: 10, mlUpdatedAt: readAt.toISOString(), error: null }],
        }),
      ]);
      expect(await stockReads()).toBe(before);

      // A live read of the same product carries its links too.
      const live = await api<{ items: Array<{ source: string; links: unknown[] }>; pagination: unknown }>(`/tinyerp/inventory?productIds=${productId}`, { token: user.accessToken });
      expect(live.body.pagination).toBeNull();
      expect(live.body.items[0]).toMatchObject({ source: "live", links: [expect.objectContaining({ mlItemId: ml.simple })] });

      const stranger = await registerUser();
      expect((await api(`/tinyerp/inventory?accountId=${account.id}`, { token: stranger.accessToken })).status).toBe(404);
      expect((await api("/tinyerp/inventory?limit=0", { token: user.accessToken })).status).toBe(400);
    });

    it("Tiny's 429 (empty body, no Retry-After) becomes our 429 with Retry-After, and blocks the company's budget for every caller", async () => {
      const user = await registerUser();
      const services = testServices();
      const seeded = await seedAccount(services, user.user.id);
      await sandbox("/_sandbox/quotas", { method: "PUT", json: { readPerMinute: 2 } });
      await sandbox("/_sandbox/quotas/usage", { method: "DELETE" });
      try {
        // Every request that reached the sandbox, whatever it answered.
        const total = async () => (await sandbox<{ total: number }>("/_sandbox/counters")).total;
        expect((await api(`/tinyerp/products?limit=1`, { token: user.accessToken })).status).toBe(200);
        // Another app of the same company spends the last read of the minute: we cannot see it coming.
        const other = await sandbox<{ access_token: string }>("/_sandbox/oauth/token", { json: {} });
        expect((await fetch(`${config().TINY_API_URL}/info`, { headers: { authorization: `Bearer ${other.access_token}` } })).status).toBe(200);

        const before = await total();
        const limited = await api(`/tinyerp/products?limit=1`, { token: user.accessToken });
        expect(limited.status).toBe(429);
        expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(limited.body).toMatchObject({ code: "rate_limited" });
        // Exactly one call reached Tiny: its 429 closed the window, so the client did not hammer it.
        expect((await total()) - before).toBe(1);

        // Another caller of the same company (its own request, another endpoint) is refused without calling Tiny.
        const stockCall = await api(`/tinyerp/inventory?productIds=1`, { token: user.accessToken });
        expect(stockCall.status).toBe(429);
        expect((await total()) - before).toBe(1);

        // A 200 that says the window is spent (X-RateLimit-Remaining: 0) closes it too, before any 429.
        await services.redis.del(services.key("tiny-quota", seeded.cnpj, "read", "block"));
        await sandbox("/_sandbox/quotas/usage", { method: "DELETE" });
        await sandbox("/_sandbox/quotas", { method: "PUT", json: { readPerMinute: 1 } });
        expect((await api(`/tinyerp/products?limit=1`, { token: user.accessToken })).status).toBe(200);
        const beforeProactive = await total();
        expect((await api(`/tinyerp/products?limit=1`, { token: user.accessToken })).status).toBe(429);
        expect((await total()) - beforeProactive).toBe(0);
      } finally {
        await sandbox("/_sandbox/quotas", { method: "PUT", json: { readPerMinute: 10_000 } });
        await sandbox("/_sandbox/quotas/usage", { method: "DELETE" });
        await services.redis.del(services.key("tiny-quota", seeded.cnpj, "read", "block"));
      }
    });
  });

  describe.sequential("product links", () => {
    it("reports unlinked listings and variations (never guessed) and lets the seller link and unlink them", async () => {
      const user = await registerUser();
      const services = testServices();
      const account = await seedAccount(services, user.user.id);
      const ml = await seedListings(services, user.user.id);
      const products = await sandboxProducts();

      const initial = await api<{ items: unknown[]; unlinked: Array<{ mlItemId: string; mlVariationId: number | null; sellerSku: string | null }>; unlinkedTotal: number }>("/tinyerp/product-links", {
        token: user.accessToken,
      });
      expect(initial.status).toBe(200);
      expect(initial.body.items).toEqual([]);
      expect(initial.body.unlinkedTotal).toBe(3);
      expect(initial.body.unlinked).toEqual([
        expect.objectContaining({ mlItemId: ml.simple, mlVariationId: null, sellerSku: "SKU-1" }),
        expect.objectContaining({ mlItemId: ml.withVariations, mlVariationId: ml.variationIds[0], sellerSku: "SKU-2" }),
        expect.objectContaining({ mlItemId: ml.withVariations, mlVariationId: ml.variationIds[1], sellerSku: "SKU-3" }),
      ]);

      const put = await api<{ items: Array<{ result: string; link: { source: string; linkedBy: string; tinySku: string } | null }> }>("/tinyerp/product-links", {
        method: "PUT",
        token: user.accessToken,
        json: {
          links: [
            { mlItemId: ml.simple, tinyAccountId: account.id, tinyProductId: products.get("SKU-1") },
            { mlItemId: ml.withVariations, mlVariationId: ml.variationIds[0], tinyAccountId: account.id, tinyProductId: products.get("SKU-2") },
          ],
        },
      });
      expect(put.status).toBe(200);
      expect(put.body.items.map((i) => i.result)).toEqual(["linked", "linked"]);
      expect(put.body.items[0]!.link).toMatchObject({ source: "manual", linkedBy: user.user.id, tinySku: "SKU-1" });

      const after = await api<{ items: Array<{ mlItemId: string; tinyProductId: number; tinyProductName: string | null }>; unlinked: Array<{ mlVariationId: number }>; total: number }>(
        "/tinyerp/product-links",
        { token: user.accessToken },
      );
      expect(after.body.total).toBe(2);
      expect(after.body.items[0]!.tinyProductName).toBeTruthy();
      expect(after.body.unlinked.map((u) => u.mlVariationId)).toEqual([ml.variationIds[1]]);

      // Correcting a link replaces it; null removes it.
      const corrected = await api<{ items: Array<{ result: string; link: { tinyProductId: number } | null }> }>("/tinyerp/product-links", {
        method: "PUT",
        token: user.accessToken,
        json: {
          links: [
            { mlItemId: ml.simple, tinyAccountId: account.id, tinyProductId: products.get("SKU-5") },
            { mlItemId: ml.withVariations, mlVariationId: ml.variationIds[0], tinyAccountId: account.id, tinyProductId: null },
          ],
        },
      });
      expect(corrected.body.items.map((i) => i.result)).toEqual(["linked", "unlinked"]);
      expect(corrected.body.items[0]!.link!.tinyProductId).toBe(products.get("SKU-5"));
      const final = await api<{ total: number; unlinkedTotal: number }>("/tinyerp/product-links", { token: user.accessToken });
      expect(final.body).toMatchObject({ total: 1, unlinkedTotal: 2 });
    });

    it("refuses impossible links all-or-nothing, with a field error for each", async () => {
      const user = await registerUser();
      const services = testServices();
      const account = await seedAccount(services, user.user.id);
      const ml = await seedListings(services, user.user.id);
      const products = await sandboxProducts();
      const response = await api("/tinyerp/product-links", {
        method: "PUT",
        token: user.accessToken,
        json: {
          links: [
            { mlItemId: ml.simple, tinyAccountId: account.id, tinyProductId: products.get("SKU-1") },
            { mlItemId: ml.withVariations, tinyAccountId: account.id, tinyProductId: products.get("SKU-2") },
            { mlItemId: ml.withVariations, mlVariationId: 1, tinyAccountId: account.id, tinyProductId: products.get("SKU-2") },
            { mlItemId: "MLB999999999999", tinyAccountId: account.id, tinyProductId: products.get("SKU-2") },
          ],
        },
      });
      expect(response.status).toBe(400);
      expect(problemFields(response.body)).toEqual(["body.links.1.mlVariationId", "body.links.2.mlVariationId", "body.links.3.mlItemId"]);
      const unknownProduct = await api("/tinyerp/product-links", {
        method: "PUT",
        token: user.accessToken,
        json: { links: [{ mlItemId: ml.simple, tinyAccountId: account.id, tinyProductId: 999_999_999 }] },
      });
      expect(unknownProduct.status).toBe(400);
      expect(problemFields(unknownProduct.body)).toEqual(["body.links.0.tinyProductId"]);
      const malformed = await api("/tinyerp/product-links", { method: "PUT", token: user.accessToken, json: { links: [{ mlItemId: "nope", tinyAccountId: "x", tinyProductId: -1, extra: 1 }] } });
      expect(malformed.status).toBe(400);
      expect(problemFields(malformed.body)).toEqual(expect.arrayContaining(["body.links.0.mlItemId", "body.links.0.tinyAccountId", "body.links.0.tinyProductId"]));
      const nothingWritten = await api<{ total: number }>("/tinyerp/product-links", { token: user.accessToken });
      expect(nothingWritten.body.total).toBe(0);
    });
  });

  describe.sequential("tenant isolation and disconnect", () => {
    it("another user's account id is a 404 on every endpoint, and their data never shows", async () => {
      const owner = await registerUser();
      const other = await registerUser();
      const services = testServices();
      const account = await seedAccount(services, owner.user.id);
      const ml = await seedListings(services, owner.user.id);
      const products = await sandboxProducts();
      await api("/tinyerp/product-links", { method: "PUT", token: owner.accessToken, json: { links: [{ mlItemId: ml.simple, tinyAccountId: account.id, tinyProductId: products.get("SKU-1") }] } });

      const t = other.accessToken;
      expect((await api(`/tinyerp/accounts/${account.id}`, { method: "DELETE", token: t })).status).toBe(404);
      expect((await api(`/tinyerp/accounts/${account.id}/events`, { token: t })).status).toBe(404);
      expect((await api(`/tinyerp/products?accountId=${account.id}`, { token: t })).status).toBe(404);
      expect((await api(`/tinyerp/inventory?accountId=${account.id}&productIds=${products.get("SKU-1")}`, { token: t })).status).toBe(404);
      expect((await api(`/tinyerp/product-links?accountId=${account.id}`, { token: t })).status).toBe(404);
      // Without naming an account: they have none.
      expect((await api(`/tinyerp/products`, { token: t })).status).toBe(404);
      expect((await api(`/tinyerp/inventory?productIds=1`, { token: t })).status).toBe(404);
      const linking = await api("/tinyerp/product-links", { method: "PUT", token: t, json: { links: [{ mlItemId: ml.simple, tinyAccountId: account.id, tinyProductId: products.get("SKU-2") }] } });
      expect(linking.status).toBe(400);
      expect(problemFields(linking.body)).toEqual(["body.links.0.tinyAccountId", "body.links.0.mlItemId"]);
      expect((await api<{ items: unknown[] }>("/tinyerp/accounts", { token: t })).body.items).toEqual([]);
      const theirLinks = await api<{ total: number; unlinkedTotal: number }>("/tinyerp/product-links", { token: t });
      expect(theirLinks.body).toMatchObject({ total: 0, unlinkedTotal: 0 });
      // The owner's link is untouched.
      expect((await api<{ total: number }>("/tinyerp/product-links", { token: owner.accessToken })).body.total).toBe(1);
      // Every endpoint wants a session.
      for (const [method, path] of [
        ["GET", "/tinyerp/accounts"],
        ["GET", `/tinyerp/accounts/${account.id}/events`],
        ["DELETE", `/tinyerp/accounts/${account.id}`],
        ["GET", "/tinyerp/products"],
        ["GET", "/tinyerp/product-links"],
        ["PUT", "/tinyerp/product-links"],
        ["GET", "/tinyerp/inventory?productIds=1"],
      ] as const) {
        expect((await api(path, { method })).status, `${method} ${path}`).toBe(401);
      }
    });

    it("disconnect deletes the tokens, hides the account and keeps the links; a second delete is a 404", async () => {
      const user = await registerUser();
      const services = testServices();
      const account = await seedAccount(services, user.user.id);
      expect((await api(`/tinyerp/accounts/${account.id}`, { method: "DELETE", token: user.accessToken })).status).toBe(204);
      const row = (await rawAccountRow(services, account.id))!;
      expect(row).toMatchObject({ status: "disconnected", access_token_enc: null, refresh_token_enc: null, token_key_id: null });
      expect((await api<{ items: unknown[] }>("/tinyerp/accounts", { token: user.accessToken })).body.items).toEqual([]);
      expect((await api(`/tinyerp/accounts/${account.id}`, { method: "DELETE", token: user.accessToken })).status).toBe(404);
      expect((await api(`/tinyerp/products?accountId=${account.id}`, { token: user.accessToken })).status).toBe(404);
      expect((await api(`/tinyerp/accounts/not-a-uuid`, { method: "DELETE", token: user.accessToken })).status).toBe(400);
    });
  });
});
