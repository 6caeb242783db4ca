import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { uuidv7 } from "#core/ids";
import {
  TinyApiError,
  createMemoryQuotaStore,
  createTinyServices,
  exchangeTinyCode,
  fetchTinyInfo,
  normaliseCnpj,
  tinyAuthorizationUrl,
  tinyDefaults,
  tinySpecModels,
  tinyTokenContext,
  toTinyDateTime,
  type TinyConfig,
  type TinyServices,
} from "#integrations/tiny";
import { createPkcePair } from "#core/oauth/pkce";
import { createTokenCipher, generateTokenKey, type TokenCipher } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { insertTinyAccount } from "#db/queries/tiny";
import { insertUser } from "#db/queries/users";
import { tinyAccounts } from "#db/schema";
import { startTinySandbox, type TinySandbox } from "#dev/sandbox/tiny";
import { classify } from "#dev/sandbox/tiny/contract/known-deviations";
import { SPEC_PATH, startPrismProxy, type PrismProxy } from "#dev/sandbox/tiny/contract/prism";
import { createViolationRecorder } from "#dev/sandbox/tiny/contract/recorder";
import { createTestResources, memoryLogger, type TestResources } from "./support/resources";

// Our Tiny client, not the sandbox, is under test here: every request it makes goes through Prism
// validating against Tiny's published spec, and any violation outside the named known deviations
// (dev/sandbox/tiny/contract/known-deviations.ts) fails the run.

interface Spec {
  components: { schemas: Record<string, { properties?: Record<string, unknown>; allOf?: Array<{ $ref?: string; properties?: Record<string, unknown> }> }> };
}
const spec = JSON.parse(readFileSync(SPEC_PATH, "utf8")) as Spec;

let resources: TestResources;
let sandbox: TinySandbox;
let prism: PrismProxy;
let database: ReturnType<typeof createNodeDb>;
/** Prism's verdict on every API response our client receives. */
const recorder = createViolationRecorder(() => prism.url);
const { violations } = recorder;
const recordingFetch = recorder.fetch;

function config(): TinyConfig {
  return {
    apiUrl: prism.url,
    // The token endpoint is Keycloak's, not part of the v3 spec: it goes to the sandbox directly.
    authUrl: sandbox.authUrl.replace(/\/auth$/, ""),
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
    redirectUri: "https://autoecom.test/tinyerp/auth/callback",
    timeoutMs: 10_000,
    maxAttempts: 2,
    refreshMarginSeconds: 300,
    quota: { ...tinyDefaults.quota, readsPerMinute: 10_000, writesPerMinute: 10_000, burstPerSecond: 10_000, maxWaitMs: 0 },
  };
}

const tokenKeys = generateTokenKey("c1");
let cipher: TokenCipher;

async function services(): Promise<TinyServices> {
  return createTinyServices({
    db: database.db,
    transaction: (fn) => database.db.transaction((tx) => fn(tx)),
    cipher,
    config: config(),
    quotaStore: createMemoryQuotaStore(),
    log: memoryLogger(),
    fetch: recordingFetch,
    sleep: async () => undefined,
  });
}

beforeAll(async () => {
  resources = await createTestResources();
  database = createNodeDb(resources.databaseUrl, { max: 4 });
  cipher = await createTokenCipher(tokenKeys);
  sandbox = await startTinySandbox({ port: 0, seed: 21, products: 30, quotas: { readPerMinute: 10_000, writePerMinute: 10_000, burstPerSecond: null } });
  prism = await startPrismProxy(sandbox.apiUrl);
}, 120_000);

afterAll(async () => {
  await prism?.stop();
  await sandbox?.close();
  await database?.close();
  await resources?.cleanup();
});

describe("the Tiny client against Tiny's published v3 spec (Prism validating proxy)", () => {
  it("connect, catalogue, product writes (GTIN included), stock, refresh-on-401, 404 and 429: no violation outside the known deviations", async () => {
    // Connect as the Worker does: authorization code with PKCE, then GET /info through the proxy.
    const tiny = await services();
    const pkce = await createPkcePair();
    const authorize = new URL(tinyAuthorizationUrl(tiny.config, { state: "contract-state", codeChallenge: pkce.challenge }));
    const consent = await fetch(authorize, { redirect: "manual" });
    const code = new URL(consent.headers.get("location")!).searchParams.get("code")!;
    const tokens = await exchangeTinyCode(tiny.config, { code, codeVerifier: pkce.verifier }, { fetch: recordingFetch });
    const info = await fetchTinyInfo(tiny.transport, tokens.accessToken);
    const cnpj = normaliseCnpj(info.cpfCnpj)!;
    expect(cnpj).toMatch(/^\d{14}$/);

    const user = await insertUser(database.db, { email: `contract-${uuidv7()}@example.com`, name: null, passwordHash: "x" });
    const id = uuidv7();
    await insertTinyAccount(database.db, { id, userId: user!.id, companyName: info.razaoSocial!, tradeName: info.fantasia, cnpj, ...(await tiny.tokens.sealTokens(id, tokens)), now: new Date() });
    const client = tiny.client.forAccount(id);

    expect((await client.info()).razaoSocial).toBe(info.razaoSocial);
    const page = await client.listProducts({ limit: 10, offset: 0 });
    expect(page.itens).toHaveLength(10);
    const first = page.itens[0]!;
    // Every filter the API route can send, in the form the client sends it.
    await client.listProducts({ nome: first.descricao.slice(0, 8), codigo: first.sku!, situacao: "A", limit: 5, offset: 0 });
    if (first.gtin) await client.listProducts({ gtin: first.gtin, limit: 5 });
    await client.listProducts({ dataAlteracao: toTinyDateTime(new Date(Date.now() - 86_400_000)), limit: 5, offset: 5 });
    const product = await client.getProduct(first.id);
    expect(product.id).toBe(first.id);
    // The writes of the product sync, GTINs included, in the shapes it sends them.
    const simple = await client.createProduct({
      sku: "CT-GTIN-S",
      descricao: "Contrato simples",
      descricaoComplementar: "Descrição longa do anúncio.\nSegunda linha.",
      tipo: "S",
      unidade: "UN",
      gtin: "7891000000014",
      precos: { preco: 10 },
    });
    await client.updateProduct(simple.id, { sku: "CT-GTIN-S", descricao: "Contrato simples", gtin: "7891000000021", precos: { preco: 11 } });
    const varied = await client.createProduct({
      sku: "CT-GTIN-V",
      descricao: "Contrato com variações",
      descricaoComplementar: "Descrição longa do anúncio com variações.",
      tipo: "V",
      unidade: "UN",
      precos: { preco: 20 },
      variacoes: [{ sku: "CT-GTIN-V-P", gtin: "7891000000038", precos: { preco: 20 }, grade: [{ chave: "Tamanho", valor: "P" }] }],
    });
    await client.updateVariation(varied.id, varied.variacoes[0]!.id, { precos: { preco: 21 }, gtin: "7891000000045" });
    await client.addVariation(varied.id, { sku: "CT-GTIN-V-M", gtin: "7891000000052", precos: { preco: 20 }, grade: [{ chave: "Tamanho", valor: "M" }] });
    const stock = await client.getStock(first.id);
    expect(stock.depositos.length).toBeGreaterThan(0);
    // The stock sync reads kit compositions: that call goes through the spec check too.
    const kit = (await fetch(`${sandbox.url}/_sandbox/products`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sku: "CT-KIT", tipo: "K", kit: [{ id: first.id, quantidade: 2 }] }),
    }).then((r) => r.json())) as { id: number };
    expect(await client.getKit(kit.id)).toEqual([expect.objectContaining({ quantidade: 2 })]);

    // A token Tiny no longer accepts: 401 through the proxy, one refresh (Keycloak, outside the spec), one retry.
    await database.db
      .update(tinyAccounts)
      .set({ accessTokenEnc: await cipher.seal("stale-token", tinyTokenContext(id, "access")) })
      .where(eq(tinyAccounts.id, id));
    expect((await client.getStock(first.id)).id).toBe(first.id);
    // A revoked grant: 401, the refresh fails with invalid_grant, the account needs its user.
    await fetch(`${sandbox.url}/_sandbox/oauth/revoke`, { method: "POST" });
    await expect(client.getStock(first.id)).rejects.toMatchObject({ code: "conflict" });

    // Errors the client must classify: 404 (ErrorDTO) and the quota's 429 (empty body).
    const fresh = await services();
    const id2 = uuidv7();
    const minted = await sandbox.issueTokens();
    await insertTinyAccount(database.db, {
      id: id2,
      userId: user!.id,
      companyName: "Second",
      tradeName: null,
      cnpj: "11222333000181",
      ...(await fresh.tokens.sealTokens(id2, {
        accessToken: minted.access_token,
        refreshToken: minted.refresh_token,
        expiresInSeconds: minted.expires_in,
        accessExpiresAt: new Date(Date.now() + 3_600_000),
        refreshExpiresAt: new Date(Date.now() + 86_400_000),
      })),
      now: new Date(),
    });
    const second = fresh.client.forAccount(id2);
    await expect(second.getProduct(999_999_999)).rejects.toMatchObject({ code: "not_found", retryable: false });
    const setReadQuota = (perMinute: number) =>
      fetch(`${sandbox.url}/_sandbox/quotas`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ readPerMinute: perMinute }) });
    await setReadQuota(1);
    await fetch(`${sandbox.url}/_sandbox/quotas/usage`, { method: "DELETE" });
    try {
      // Another app of the company spends the minute's only read; our next call meets Tiny's 429.
      await fetch(`${sandbox.apiUrl}/info`, { headers: { authorization: `Bearer ${(await sandbox.issueTokens()).access_token}` } });
      const limited = await second.getStock(first.id).catch((error: unknown) => error);
      expect(limited).toBeInstanceOf(TinyApiError);
      expect(limited).toMatchObject({ code: "rate_limited", retryable: true });
      expect((limited as TinyApiError).retryAfterSeconds).toBeGreaterThan(0);
    } finally {
      await setReadQuota(10_000);
      await fetch(`${sandbox.url}/_sandbox/quotas/usage`, { method: "DELETE" });
    }

    const calls = recorder.total();
    expect(calls).toBeGreaterThanOrEqual(10);
    expect(recorder.unexplainedSince(0)).toBe("");
    const { explained } = classify(violations);
    expect(explained.has("quota-429")).toBe(true);
    console.info(JSON.stringify({ measurement: "tiny client through Prism", calls, violations: violations.length, explained: [...explained.keys()] }));
  });

  it("catches a request that breaks the spec (the check is live, not vacuous)", async () => {
    const tiny = await services();
    const minted = await sandbox.issueTokens();
    const user = await insertUser(database.db, { email: `contract-${uuidv7()}@example.com`, name: null, passwordHash: "x" });
    const id = uuidv7();
    await insertTinyAccount(database.db, {
      id,
      userId: user!.id,
      companyName: "Broken",
      tradeName: null,
      cnpj: "11444777000161",
      ...(await tiny.tokens.sealTokens(id, {
        accessToken: minted.access_token,
        refreshToken: minted.refresh_token,
        expiresInSeconds: minted.expires_in,
        accessExpiresAt: new Date(Date.now() + 3_600_000),
        refreshExpiresAt: new Date(Date.now() + 86_400_000),
      })),
      now: new Date(),
    });
    const before = violations.length;
    // `gtin` is an integer and `limit` an integer in the spec; a client sending these would be wrong.
    const refused = await tiny.client
      .forAccount(id)
      .request({ method: "GET", path: "/produtos", query: { gtin: "not-a-number", limit: "many" } })
      .catch((error: unknown) => error);
    // Tiny's ErrorDTO arrives as a clear, non-retryable error with Tiny's field details.
    expect(refused).toMatchObject({ code: "bad_request", retryable: false, tinyStatus: 400 });
    expect((refused as TinyApiError).fields.map((f) => f.path)).toContain("tiny.limit");
    const { unexplained } = classify(violations.slice(before));
    expect(unexplained.map((v) => v.location.join("."))).toEqual(expect.arrayContaining(["request.query.gtin", "request.query.limit"]));
    violations.splice(before);
  });

  it("our response models name only fields the spec declares", () => {
    const declared = (name: string): Set<string> => {
      const schema = spec.components.schemas[name]!;
      const out = new Set(Object.keys(schema.properties ?? {}));
      for (const part of schema.allOf ?? []) {
        if (part.$ref) for (const key of declared(part.$ref.split("/").at(-1)!)) out.add(key);
        for (const key of Object.keys(part.properties ?? {})) out.add(key);
      }
      return out;
    };
    for (const [name, model] of Object.entries(tinySpecModels)) {
      const ours = Object.keys((model as unknown as z.ZodObject).shape);
      const missing = ours.filter((field) => !declared(name).has(field));
      expect(missing, `${name}: fields not in the spec`).toEqual([]);
    }
  });
});
