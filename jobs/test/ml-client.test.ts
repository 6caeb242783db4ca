import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { uuidv7 } from "#core/ids";
import { MlApiError, createMlServices, type MlServices } from "#integrations/mercadolibre";
import { createTokenCipher, generateTokenKey } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { insertMlAccount } from "#db/queries/ml-accounts";
import { insertUser } from "#db/queries/users";
import { DEMO_SELLER_ID, startMlSandbox, type MlSandbox } from "#dev/sandbox/ml";
import { createTestResources, memoryLogger, type TestResources } from "./support/resources";

let resources: TestResources;
let sandbox: MlSandbox;
let database: ReturnType<typeof createNodeDb>;
let ml: MlServices;
let accountId: string;

const calls = (key: string) => sandbox.counters.get(key);

beforeAll(async () => {
  resources = await createTestResources();
  sandbox = await startMlSandbox({ port: 0, seed: 5, listings: 5, orders: 2 });
  database = createNodeDb(resources.databaseUrl, { max: 5 });
  // The database is dropped (terminating connections) at cleanup; that is expected, not a failure.
  database.pool.on("error", () => undefined);
  ml = createMlServices({
    db: database.db,
    transaction: (fn) => database.db.transaction((tx) => fn(tx)),
    cipher: await createTokenCipher(generateTokenKey("k")),
    config: { apiUrl: sandbox.url, appId: sandbox.appId, clientSecret: sandbox.clientSecret, redirectUri: "http://127.0.0.1/cb", timeoutMs: 400, maxAttempts: 3, refreshMarginSeconds: 300 },
    log: memoryLogger(),
    // Short backoff keeps the test fast; the shape (exponential, jittered) is the production one.
    transport: { backoffBaseMs: 20, backoffCapMs: 100 },
  });
  const user = await insertUser(database.db, { email: `c-${uuidv7()}@example.com`, name: null, passwordHash: "x" });
  const minted = sandbox.issueToken(DEMO_SELLER_ID);
  accountId = uuidv7();
  const sealed = await ml.tokens.sealTokens(accountId, {
    accessToken: minted.access_token,
    refreshToken: minted.refresh_token!,
    expiresAt: new Date(Date.now() + minted.expires_in * 1000),
    expiresInSeconds: minted.expires_in,
    userId: DEMO_SELLER_ID,
    scope: null,
  });
  await insertMlAccount(database.db, { id: accountId, userId: user!.id, mlUserId: DEMO_SELLER_ID, nickname: "LOJA_DEMO_SANDBOX", siteId: "MLB", ...sealed, now: new Date() });
});

beforeEach(() => {
  sandbox.faults.clear();
  sandbox.counters.reset();
});

afterAll(async () => {
  await database?.close();
  await sandbox?.close();
  await resources?.cleanup();
});

describe("the ML client's retry rules against the sandbox", () => {
  it("retries 5xx with backoff and succeeds", async () => {
    sandbox.faults.add(undefined, { match: { method: "GET", path: "/users/me" }, errorRate: 1, errorStatus: 503, times: 2 });
    const { data: me } = await ml.client.request<{ id: number }>(accountId, "GET", "/users/me");
    expect(me.id).toBe(DEMO_SELLER_ID);
    expect(calls("GET /users/me")).toBe(3);
  });

  it("honours Retry-After on 429", async () => {
    sandbox.faults.add(undefined, { match: { method: "GET", path: "/users/me" }, rateLimitRate: 1, retryAfterSeconds: 1, times: 1 });
    const started = performance.now();
    await ml.client.request(accountId, "GET", "/users/me");
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(calls("GET /users/me")).toBe(2);
  });

  it("gives up after maxAttempts with a retryable error", async () => {
    sandbox.faults.add(undefined, { match: { method: "GET", path: "/users/me" }, errorRate: 1, errorStatus: 500 });
    const error = await ml.client.request(accountId, "GET", "/users/me").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlApiError);
    expect(error).toMatchObject({ code: "bad_gateway", retryable: true, mlStatus: 500, endpoint: "GET /users/me" });
    expect(calls("GET /users/me")).toBe(3);
  });

  it("a 404 is final: one call, retryable false", async () => {
    const error = await ml.client.request(accountId, "GET", "/orders/999999999").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "not_found", retryable: false, mlStatus: 404, endpoint: "GET /orders/{id}" });
    expect(calls("GET /orders/:id")).toBe(1);
  });

  it("times out a hung request and retries it", async () => {
    sandbox.faults.add(undefined, { match: { method: "GET", path: "/users/me" }, hangRate: 1, hangMs: 2_000, times: 1 });
    const { data: me } = await ml.client.request<{ id: number }>(accountId, "GET", "/users/me");
    expect(me.id).toBe(DEMO_SELLER_ID);
  });

  it("never retries a failed POST on 5xx (ML may have applied it)", async () => {
    sandbox.faults.add(undefined, { match: { method: "POST", path: "/answers" }, errorRate: 1, errorStatus: 500 });
    const error = await ml.client
      .forAccount(accountId)
      .request("POST", "/answers", { body: { question_id: 1, text: "hi" } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ mlStatus: 500, retryable: true });
    expect(
      Object.entries(sandbox.counters.counts())
        .filter(([key]) => key.startsWith("POST"))
        .reduce((n, [, c]) => n + c, 0),
    ).toBe(1);
  });

  it("errors never carry the token", async () => {
    sandbox.faults.add(undefined, { match: { method: "GET", path: "/users/me" }, errorRate: 1, errorStatus: 500 });
    const error = (await ml.client.request(accountId, "GET", "/users/me").catch((e: unknown) => e)) as Error;
    const token = (await ml.tokens.getAccessToken(accountId)).token;
    expect(JSON.stringify({ ...error, text: error.message })).not.toContain(token);
  });
});
