import { Queue } from "bullmq";
import { and, count, eq, isNotNull, sql } from "drizzle-orm";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "#core/errors";
import { changeListing } from "#domain/listings/listing-changes";
import { createMlServices, type MlServices } from "#integrations/mercadolibre";
import { createTokenCipher } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { claimSyncSlot, findSyncRun, listingChangesOf } from "#db/queries/ml-sync";
import { mlClaims, mlListings, mlListingVariations, mlOrders, mlQuestions } from "#db/schema";
import { DEMO_SELLER_ID, startMlSandbox, type MlSandbox } from "#dev/sandbox/ml";
import { connectSandboxSeller, randomTokenKeys } from "#test/support/ml-seller";
import { localQstashSigningKeys } from "../src/env";
import { runSyncRun, type SyncOptions } from "../src/processors/mercadolibre/sync";
import type { JobContext } from "../src/processors/types";
import { JobMetrics } from "../src/runtime/metrics";
import { startJobs, type RunningJobs } from "../src/start";
import { signDelivery } from "./support/qstash-signer";
import { createTestResources, memoryLogger, publicUrl, waitFor, type TestResources } from "./support/resources";

/**
 * Sync runs against the ML sandbox, real Postgres and Redis. The call budget is asserted with
 * the sandbox's counters: a full sync of N listings may make ⌈N/100⌉ searches and ⌈N/20⌉
 * multigets plus a small constant, whatever happens on the way (crash, 429 storm).
 */
const LISTINGS = 2_345;
let resources: TestResources;
let sandbox: MlSandbox;
let jobs: RunningJobs;
let database: ReturnType<typeof createNodeDb>;
let redis: Redis;
let ml: MlServices;
let demo: { userId: string; accountId: string };
let syncQueue: Queue;

const searches = () => sandbox.counters.get("GET /users/:id/items/search");
const multigets = () => sandbox.counters.get("GET /items");
const budget = (n: number) => ({ searches: Math.ceil(n / 100) + 2, multigets: Math.ceil(n / 20) });

beforeAll(async () => {
  resources = await createTestResources();
  sandbox = await startMlSandbox({ port: 0, seed: 23, listings: LISTINGS, orders: 130, questions: 40, claims: 4 });
  const tokenKeys = randomTokenKeys();
  demo = await connectSandboxSeller({ databaseUrl: resources.databaseUrl, tokenKeys, sandbox, mlUserId: DEMO_SELLER_ID });
  database = createNodeDb(resources.databaseUrl, { max: 12 });
  database.pool.on("error", () => undefined);
  redis = new Redis("redis://127.0.0.1:6379");
  ml = createMlServices({
    db: database.db,
    transaction: (fn) => database.db.transaction((tx) => fn(tx)),
    cipher: await createTokenCipher(tokenKeys),
    config: { apiUrl: sandbox.url, appId: sandbox.appId, clientSecret: sandbox.clientSecret, redirectUri: "", timeoutMs: 5_000, maxAttempts: 3, refreshMarginSeconds: 300 },
    log: memoryLogger(),
    // Short backoff keeps the storm test quick; the shape (exponential, jittered) is production's.
    transport: { backoffBaseMs: 5, backoffCapMs: 40 },
  });
  jobs = await startJobs(
    resources.env({
      ML_API_URL: sandbox.url,
      ML_APP_ID: sandbox.appId,
      ML_CLIENT_SECRET: sandbox.clientSecret,
      TOKEN_ENCRYPTION_KEYS: tokenKeys,
      ML_APP_RATE_PER_SECOND: "10000",
      ML_APP_RATE_MIN_PER_SECOND: "10000",
      ML_APP_RATE_MAX_PER_SECOND: "10000",
    }),
    { log: memoryLogger(), schedulers: false },
  );
  syncQueue = new Queue("ml-sync", { connection: { host: "127.0.0.1", port: 6379 }, prefix: resources.prefix });
}, 60_000);

afterAll(async () => {
  await syncQueue?.close();
  await jobs?.close();
  await redis?.quit();
  await database?.close();
  await sandbox?.close();
  await resources?.cleanup();
});

beforeEach(() => {
  sandbox.faults.clear();
  sandbox.counters.reset();
});

/** A JobContext for calling the processor directly, as the runner would build it. */
function directContext(runId: string): JobContext<"ml.sync"> {
  return {
    job: { id: `direct-${runId}`, name: "ml.sync", queue: "ml-sync", attempt: 1, maxAttempts: 5, enqueuedAt: Date.now() },
    log: memoryLogger(),
    db: database.db,
    enqueue: () => Promise.reject(new Error("not used by ml.sync")),
    signal: new AbortController().signal,
    services: {
      redis,
      keyPrefix: resources.prefix,
      ml: ml.client,
      mlTokens: ml.tokens,
      mlAppId: sandbox.appId,
      mlLimits: { accountConcurrency: 4, appRate: { initial: 10_000, min: 10_000, max: 10_000 } },
      metrics: new JobMetrics(),
      tiny: null,
      retention: { webhookEventsDays: 90 },
    },
    now: () => new Date(),
    defer: () => Promise.reject(new Error("not used by ml.sync")),
    progress: async () => undefined,
  };
}

async function newRun(kind: "listings" | "orders" | "all", mode: "full" | "incremental" = "full") {
  const claimed = await claimSyncSlot(database.db, { accountId: demo.accountId, kind, mode, trigger: "test", requestedBy: null, since: null, now: new Date() });
  if (!claimed.created) throw new Error(`a ${kind} run is already live: ${claimed.running.id}`);
  return claimed.run;
}

const fast: Partial<SyncOptions> = { retryBaseMs: 5, retryCapMs: 50, callRetries: 10 };

async function countOf(table: typeof mlListings | typeof mlOrders | typeof mlQuestions | typeof mlClaims) {
  const [row] = await database.db.select({ n: count() }).from(table).where(eq(table.accountId, demo.accountId));
  return row!.n;
}

async function sandboxGet<T>(path: string): Promise<T> {
  const token = sandbox.issueToken(DEMO_SELLER_ID).access_token;
  const response = await fetch(`${sandbox.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return (await response.json()) as T;
}

async function control<T = Record<string, unknown>>(path: string, json: unknown = {}, method = "POST"): Promise<T> {
  const response = await fetch(`${sandbox.url}/_sandbox${path}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(json) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

describe("full sync through the jobs container", () => {
  it("scans beyond 1,000 listings within the call budget, with orders, questions and open claims, reporting progress", async () => {
    const run = await newRun("all");
    const body = JSON.stringify({ runId: run.id });
    const signature = await signDelivery({ key: localQstashSigningKeys.current, url: `${publicUrl}/qstash/ml.sync`, body });
    const delivered = await fetch(`${jobs.url}/qstash/ml.sync`, {
      method: "POST",
      headers: { "upstash-signature": signature, "content-type": "application/json", "upstash-message-id": `msg_${run.id}` },
      body,
    });
    expect(delivered.status).toBe(200);
    const { jobId } = (await delivered.json()) as { jobId: string };

    const finished = await waitFor(
      async () => {
        const row = await findSyncRun(database.db, run.id);
        return row && (row.status === "succeeded" || row.status === "failed") ? row : undefined;
      },
      "the run to finish",
      60_000,
    );
    expect(finished.status, JSON.stringify(finished.errors)).toBe("succeeded");
    expect(finished.percent).toBe(100);
    const seenBySandbox = sandbox.counters.snapshot();

    expect(await countOf(mlListings)).toBe(LISTINGS);
    expect(searches()).toBeLessThanOrEqual(budget(LISTINGS).searches);
    expect(multigets()).toBe(budget(LISTINGS).multigets);
    // Details only ever through multigets: not one single-item GET.
    expect(sandbox.counters.get("GET /items/:id")).toBe(0);
    expect(finished.counts.listings).toMatchObject({ seen: LISTINGS, failed: 0 });

    const visible = await sandboxGet<{ paging: { total: number } }>(`/orders/search?seller=${DEMO_SELLER_ID}&limit=1`);
    expect(await countOf(mlOrders)).toBe(visible.paging.total);
    expect(await countOf(mlQuestions)).toBe(40);
    const openClaims = await database.db
      .select({ n: count() })
      .from(mlClaims)
      .where(and(eq(mlClaims.accountId, demo.accountId), eq(mlClaims.status, "opened")));
    expect(openClaims[0]!.n).toBe(3);
    // Variation SKUs come from include_attributes=all on the multigets.
    const [skus] = await database.db
      .select({ n: count() })
      .from(mlListingVariations)
      .where(sql`${mlListingVariations.sellerSku} is not null`);
    expect(skus!.n).toBeGreaterThan(0);
    // GTINs: the listing's own attribute, and each variation's from its attributes (also include_attributes=all).
    const seeded = [...sandbox.ctx.state.items.values()].filter((i) => i.sellerId === DEMO_SELLER_ID);
    const seededListingGtins = new Map(seeded.flatMap((i) => (i.gtin ? [[i.id, i.gtin] as const] : [])));
    const seededVariationGtins = new Map(seeded.flatMap((i) => (i.variations ?? []).flatMap((v) => (v.gtin ? [[v.id, v.gtin] as const] : []))));
    expect(seededListingGtins.size).toBeGreaterThan(0);
    expect(seededVariationGtins.size).toBeGreaterThan(0);
    const storedListingGtins = await database.db
      .select({ id: mlListings.mlItemId, gtin: mlListings.gtin })
      .from(mlListings)
      .where(and(eq(mlListings.accountId, demo.accountId), isNotNull(mlListings.gtin)));
    expect(new Map(storedListingGtins.map((r) => [r.id, r.gtin]))).toEqual(seededListingGtins);
    const storedVariationGtins = await database.db
      .select({ id: mlListingVariations.mlVariationId, gtin: mlListingVariations.gtin })
      .from(mlListingVariations)
      .innerJoin(mlListings, eq(mlListings.id, mlListingVariations.listingId))
      .where(and(eq(mlListings.accountId, demo.accountId), isNotNull(mlListingVariations.gtin)));
    expect(new Map(storedVariationGtins.map((r) => [r.id, r.gtin]))).toEqual(seededVariationGtins);

    const job = await syncQueue.getJob(jobId);
    expect(job?.progress).toMatchObject({ runId: run.id, percent: 100 });
    // The run's own call count is exactly what the sandbox saw while it ran.
    const sandboxTotal = Object.values(seenBySandbox).reduce((sum, entry) => sum + entry.count, 0);
    expect(finished.apiCalls, JSON.stringify(seenBySandbox)).toBe(sandboxTotal);
  });
});

describe("sync runs called directly", () => {
  it("resumes from its cursor after a crash mid-scan, within the budget", async () => {
    const run = await newRun("listings");
    const crash = runSyncRun(directContext(run.id), run.id, {
      ...fast,
      afterPage: (_phase, page) => {
        if (page === 9) throw new Error("simulated crash");
      },
    });
    await expect(crash).rejects.toThrow("simulated crash");
    const stopped = await findSyncRun(database.db, run.id);
    expect(stopped).toMatchObject({ status: "queued", lastError: "simulated crash" });
    expect(stopped!.cursor?.listings?.mode).toBe("scan");
    expect(stopped!.cursor?.listings?.scrollId).toBeTruthy();
    const doneBefore = stopped!.cursor!.listings!.done;
    expect(doneBefore).toBeGreaterThan(0);
    const searchesBefore = searches();

    const resumed = await runSyncRun(directContext(run.id), run.id, fast);
    expect(resumed.status).toBe("succeeded");
    const final = await findSyncRun(database.db, run.id);
    expect(final).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(final!.counts.listings!.seen).toBe(LISTINGS);
    // The resumed attempt did not start over: it needed only the pages the first one had not read.
    expect(searches() - searchesBefore).toBeLessThanOrEqual(Math.ceil((LISTINGS - doneBefore) / 100) + 1);
    expect(searches()).toBeLessThanOrEqual(budget(LISTINGS).searches);
    expect(multigets()).toBe(budget(LISTINGS).multigets);
  });

  it("rides out a 429 storm on multigets and searches", async () => {
    sandbox.faults.add(String(DEMO_SELLER_ID), { match: { method: "GET", path: "/items" }, rateLimitRate: 0.5 });
    sandbox.faults.add(String(DEMO_SELLER_ID), { match: { method: "GET", path: "/users/*/items/search" }, rateLimitRate: 0.3 });
    const run = await newRun("listings");
    const outcome = await runSyncRun(directContext(run.id), run.id, fast);
    expect(outcome.status).toBe("succeeded");
    const detail = sandbox.counters.snapshot();
    expect(detail["GET /items"]!.byStatus["429"]).toBeGreaterThan(20);
    // Every answered call counts once toward the budget; the 429s are the storm's, not ours.
    expect(detail["GET /items"]!.byStatus["200"]).toBe(budget(LISTINGS).multigets);
    expect(detail["GET /users/:id/items/search"]!.byStatus["200"]).toBeLessThanOrEqual(budget(LISTINGS).searches);
    expect((await findSyncRun(database.db, run.id))!.counts.listings).toMatchObject({ seen: LISTINGS, failed: 0 });
  });

  it("finds orders ML hides from search (cancelled) and keeps what a 206 left out", async () => {
    const [stored] = await database.db
      .select()
      .from(mlOrders)
      .where(and(eq(mlOrders.accountId, demo.accountId), eq(mlOrders.status, "paid")))
      .limit(1);
    expect(stored?.buyer).toBeTruthy();
    await control(`/orders/${stored!.mlOrderId}/cancel`);
    await control(`/orders/${stored!.mlOrderId}/partial`, { fields: ["buyer", "feedback"] }, "PUT");
    sandbox.counters.reset();

    const run = await newRun("orders");
    expect((await runSyncRun(directContext(run.id), run.id, fast)).status).toBe("succeeded");
    const [after] = await database.db.select().from(mlOrders).where(eq(mlOrders.mlOrderId, stored!.mlOrderId));
    expect(after).toMatchObject({ status: "cancelled", missingFields: ["buyer", "feedback"] });
    expect(after!.buyer).toEqual(stored!.buyer);
    // Only the order missing from the search was read on its own.
    expect(sandbox.counters.get("GET /orders/:id")).toBe(1);
    const windows = Math.ceil(365 / 30) + 1;
    expect(sandbox.counters.get("GET /orders/search")).toBeLessThanOrEqual(Math.ceil(130 / 50) + windows);
  });

  it("picks up a changed listing incrementally with a handful of calls", async () => {
    const [row] = await database.db
      .select()
      .from(mlListings)
      .where(and(eq(mlListings.accountId, demo.accountId), eq(mlListings.status, "active")))
      .limit(1);
    const [variation] = await database.db.select().from(mlListingVariations).where(eq(mlListingVariations.listingId, row!.id)).limit(1);
    await control(`/items/${row!.mlItemId}/price`, { price: 1234.5, ...(variation ? { variation_id: variation.mlVariationId } : {}) });
    sandbox.counters.reset();
    const run = await newRun("listings", "incremental");
    expect((await runSyncRun(directContext(run.id), run.id, fast)).status).toBe("succeeded");
    const [after] = await database.db.select().from(mlListings).where(eq(mlListings.id, row!.id));
    expect(after!.price).toBe("1234.50");
    expect(searches()).toBeLessThanOrEqual(2);
    expect(multigets()).toBeLessThanOrEqual(5);
  });

  it("lets only one of many concurrent requests start a run per account and kind", async () => {
    const attempts = await Promise.all(
      Array.from({ length: 8 }, () => claimSyncSlot(database.db, { accountId: demo.accountId, kind: "orders", mode: "full", trigger: "test", requestedBy: null, since: null, now: new Date() })),
    );
    const created = attempts.filter((a) => a.created);
    expect(created).toHaveLength(1);
    const winner = created[0]!.created ? created[0]!.run.id : "";
    for (const a of attempts) if (!a.created) expect(a.running.id).toBe(winner);
    // An `all` run overlaps orders: refused too, naming the live one.
    const all = await claimSyncSlot(database.db, { accountId: demo.accountId, kind: "all", mode: "full", trigger: "test", requestedBy: null, since: null, now: new Date() });
    expect(all).toMatchObject({ created: false, running: { id: winner } });
    await runSyncRun(directContext(winner), winner, fast);
  });
});

describe("listing changes", () => {
  it("changes one variation's price while sending every variation back with its id, and records it", async () => {
    const [withVariations] = await database.db
      .select({ listing: mlListings, n: sql<number>`(select count(*)::int from ml_listing_variations v where v.listing_id = ${mlListings.id})` })
      .from(mlListings)
      .where(and(eq(mlListings.accountId, demo.accountId), eq(mlListings.status, "active"), sql`(select count(*) from ml_listing_variations v where v.listing_id = ${mlListings.id}) >= 3`))
      .limit(1);
    const listing = withVariations!.listing;
    const variations = await database.db.select().from(mlListingVariations).where(eq(mlListingVariations.listingId, listing.id));
    const target = variations[1]!;
    const result = await changeListing({
      ctx: { ml: ml.client, db: database.db },
      input: { accountId: demo.accountId, mlItemId: listing.mlItemId, variationId: target.mlVariationId, price: 77.7, reason: "test repricing" },
    });
    expect(result.changes).toEqual([expect.objectContaining({ field: "price", variationId: target.mlVariationId, newValue: "77.7", method: "items_put" })]);

    const live = await sandboxGet<{ variations: { id: number; price: number }[] }>(`/items/${listing.mlItemId}`);
    expect(live.variations.map((v) => v.id).sort()).toEqual(variations.map((v) => v.mlVariationId).sort());
    expect(live.variations.find((v) => v.id === target.mlVariationId)!.price).toBe(77.7);
    const after = await database.db.select().from(mlListingVariations).where(eq(mlListingVariations.listingId, listing.id));
    expect(after).toHaveLength(variations.length);
    expect(after.find((v) => v.mlVariationId === target.mlVariationId)!.price).toBe("77.70");
    const log = await listingChangesOf(database.db, listing.mlItemId);
    expect(log.at(-1)).toMatchObject({ field: "price", oldValue: String(Number(target.price)), newValue: "77.7", reason: "test repricing", outcome: "applied", method: "items_put" });
  });

  it("refuses stock without a variation on a listing with variations, and stock on Full listings", async () => {
    const [withVariations] = await database.db
      .select({ id: mlListings.mlItemId })
      .from(mlListings)
      .where(and(eq(mlListings.accountId, demo.accountId), sql`exists (select 1 from ml_listing_variations v where v.listing_id = ${mlListings.id})`))
      .limit(1);
    const missing = await changeListing({ ctx: { ml: ml.client, db: database.db }, input: { accountId: demo.accountId, mlItemId: withVariations!.id, availableQuantity: 3, reason: "t" } }).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(AppError);
    expect(missing).toMatchObject({ status: 400, fields: [{ path: "body.variationId" }] });

    const scan = await sandboxGet<{ results: string[] }>(`/users/${DEMO_SELLER_ID}/items/search?logistic_type=fulfillment&limit=100`);
    const plain = await sandboxGet<{ code: number; body: { id: string; variations: unknown[] } }[]>(`/items?ids=${scan.results.slice(0, 20).join(",")}`);
    const full = plain.find((entry) => entry.body.variations.length === 0)!.body.id;
    const refused = await changeListing({ ctx: { ml: ml.client, db: database.db }, input: { accountId: demo.accountId, mlItemId: full, availableQuantity: 5, reason: "t" } }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 409 });
  });

  it("sets stock and status on a plain listing", async () => {
    const scan = await sandboxGet<{ results: string[] }>(`/users/${DEMO_SELLER_ID}/items/search?status=active&logistic_type=cross_docking&limit=100`);
    const entries = await sandboxGet<{ body: { id: string; variations: unknown[]; available_quantity: number; user_product_id: string | null } }[]>(
      `/items?ids=${scan.results.slice(0, 20).join(",")}`,
    );
    const plain = entries.find((entry) => entry.body.variations.length === 0 && !entry.body.user_product_id)!.body;
    await changeListing({
      ctx: { ml: ml.client, db: database.db },
      input: { accountId: demo.accountId, mlItemId: plain.id, availableQuantity: plain.available_quantity + 4, status: "paused", reason: "tiny stock sync" },
    });
    const [row] = await database.db.select().from(mlListings).where(eq(mlListings.mlItemId, plain.id));
    expect(row).toMatchObject({ availableQuantity: plain.available_quantity + 4, status: "paused" });
    const log = await listingChangesOf(database.db, plain.id);
    expect(log.map((l) => l.field).sort()).toEqual(["available_quantity", "status"]);
  });

  it("sets the stock of one variation, sending every variation back with its id", async () => {
    const scan = await sandboxGet<{ results: string[] }>(`/users/${DEMO_SELLER_ID}/items/search?status=active&logistic_type=cross_docking&limit=100`);
    const entries = await sandboxGet<{ body: { id: string; variations: { id: number; available_quantity: number; price: number }[] } }[]>(`/items?ids=${scan.results.slice(20, 40).join(",")}`);
    const listing = entries.find((entry) => entry.body.variations.length >= 3)!.body;
    const [first, target, ...rest] = listing.variations;
    const result = await changeListing({
      ctx: { ml: ml.client, db: database.db },
      input: { accountId: demo.accountId, mlItemId: listing.id, variationId: target!.id, availableQuantity: target!.available_quantity + 3, reason: "tiny stock sync" },
    });
    expect(result.changes).toEqual([expect.objectContaining({ field: "available_quantity", variationId: target!.id, method: "items_put" })]);
    const live = await sandboxGet<{ variations: { id: number; available_quantity: number; price: number }[] }>(`/items/${listing.id}`);
    // Same ids (none deleted or recreated) and only the addressed one changed.
    expect(live.variations).toEqual(
      [first!, { ...target!, available_quantity: target!.available_quantity + 3 }, ...rest].map((v) => expect.objectContaining({ id: v.id, available_quantity: v.available_quantity, price: v.price })),
    );
  });
});

describe("listing changes on User Products", () => {
  const stockReads = () => sandbox.counters.get("GET /user-products/:id/stock");
  const stockWrites = () => sandbox.counters.get("PUT /user-products/:id/stock/type/selling_address");
  const itemPuts = () => sandbox.counters.get("PUT /items/:id");

  async function newUserProduct(quantity: number): Promise<{ id: string; user_product_id: string }> {
    return control<{ id: string; user_product_id: string }>("/items", { user_product: true, available_quantity: quantity });
  }

  /** The client the module gets, with another writer changing the stock right after the module reads it. */
  function withConcurrentWriter(write: (attempt: number) => Promise<void>): typeof ml.client {
    let reads = 0;
    return {
      ...ml.client,
      forAccount: (accountId) => {
        const inner = ml.client.forAccount(accountId);
        return {
          ...inner,
          request: async (method, path, options) => {
            const response = await inner.request(method, path, options);
            if (method === "GET" && path.startsWith("/user-products/")) await write(++reads);
            return response as never;
          },
        };
      },
    };
  }

  it("writes stock through /user-products with x-version (never PUT /items) and records it", async () => {
    const up = await newUserProduct(10);
    const result = await changeListing({ ctx: { ml: ml.client, db: database.db }, input: { accountId: demo.accountId, mlItemId: up.id, availableQuantity: 4, reason: "tiny stock sync" } });
    expect(result.changes).toEqual([{ field: "available_quantity", variationId: null, oldValue: "10", newValue: "4", method: "user_products_stock" }]);
    expect({ reads: stockReads(), writes: stockWrites(), itemPuts: itemPuts() }).toEqual({ reads: 1, writes: 1, itemPuts: 0 });

    const stock = await sandboxGet<{ locations: { type: string; quantity: number }[] }>(`/user-products/${up.user_product_id}/stock`);
    expect(stock.locations).toEqual([{ type: "selling_address", quantity: 4 }]);
    const [row] = await database.db.select().from(mlListings).where(eq(mlListings.mlItemId, up.id));
    expect(row).toMatchObject({ availableQuantity: 4 });
    const log = await listingChangesOf(database.db, up.id);
    expect(log).toEqual([
      expect.objectContaining({ field: "available_quantity", oldValue: "10", newValue: "4", reason: "tiny stock sync", method: "user_products_stock", outcome: "applied", error: null }),
    ]);
  });

  it("re-reads the stock and retries once when a concurrent change made the version stale", async () => {
    const up = await newUserProduct(10);
    // A sale lands between our GET and our PUT: the x-version we hold is now stale (409).
    const client = withConcurrentWriter(async (read) => {
      if (read === 1) await control("/orders", { item_id: up.id, quantity: 2 });
    });
    const result = await changeListing({ ctx: { ml: client, db: database.db }, input: { accountId: demo.accountId, mlItemId: up.id, availableQuantity: 6, reason: "tiny stock sync" } });
    // The old value is what the second read saw (after the sale), not the first.
    expect(result.changes).toEqual([expect.objectContaining({ oldValue: "8", newValue: "6", method: "user_products_stock" })]);
    expect(sandbox.counters.snapshot()["PUT /user-products/:id/stock/type/selling_address"]?.byStatus).toEqual({ "204": 1, "409": 1 });
    expect(stockReads()).toBe(2);
    const stock = await sandboxGet<{ locations: { quantity: number }[] }>(`/user-products/${up.user_product_id}/stock`);
    expect(stock.locations[0]!.quantity).toBe(6);
    const log = await listingChangesOf(database.db, up.id);
    expect(log).toEqual([expect.objectContaining({ oldValue: "8", newValue: "6", outcome: "applied" })]);
  });

  it("gives up with a recorded failure when the version keeps going stale", async () => {
    const up = await newUserProduct(10);
    const client = withConcurrentWriter(async () => {
      await control(`/items/${up.id}/stock`, { available_quantity: 10 });
    });
    const error = await changeListing({ ctx: { ml: client, db: database.db }, input: { accountId: demo.accountId, mlItemId: up.id, availableQuantity: 1, reason: "t" } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ mlStatus: 409 });
    expect(stockWrites()).toBe(3);
    const log = await listingChangesOf(database.db, up.id);
    expect(log).toEqual([expect.objectContaining({ newValue: "1", method: "user_products_stock", outcome: "failed" })]);
  });

  it("sends price and status of a UP listing through PUT /items and its stock through /user-products", async () => {
    const up = await newUserProduct(5);
    const result = await changeListing({ ctx: { ml: ml.client, db: database.db }, input: { accountId: demo.accountId, mlItemId: up.id, price: 42.5, availableQuantity: 7, reason: "manual" } });
    expect(result.changes.map((c) => [c.field, c.method])).toEqual([
      ["price", "items_put"],
      ["available_quantity", "user_products_stock"],
    ]);
    const live = await sandboxGet<{ price: number; available_quantity: number }>(`/items/${up.id}`);
    expect(live).toMatchObject({ price: 42.5, available_quantity: 7 });
  });
});
