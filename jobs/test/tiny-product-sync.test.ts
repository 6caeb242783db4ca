import { DelayedError, Queue } from "bullmq";
import { Redis } from "ioredis";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryQuotaStore, createTinyServices, tinyDefaults, type TinyConfig, type TinyServices } from "#integrations/tiny";
import { createTokenCipher, generateTokenKey } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { upsertManualLink } from "#db/queries/tiny";
import { claimProductSyncRun, findProductSyncRun } from "#db/queries/tiny-product-sync";
import { mlAccounts, mlListings, mlListingVariations, tinyProductLinks, tinyProductSyncRuns, type TinyProductSyncRun } from "#db/schema";
import { ean13 } from "#dev/sandbox/common";
import { DEMO_SELLER_ID, SECOND_SELLER_ID, startMlSandbox, type MlSandbox } from "#dev/sandbox/ml";
import { FIRST_BUYER_ID } from "#dev/sandbox/ml/seed";
import { startTinySandbox, type TinySandbox } from "#dev/sandbox/tiny";
import { connectSandboxSeller } from "#test/support/ml-seller";
import { startJobs } from "../src/start";
import { tinyProductSync, productSyncSliceMs } from "../src/processors/tiny/product-sync";
import { buildJobServices } from "../src/runtime/services";
import type { JobContext } from "../src/processors/types";
import type { JobsEnv } from "../src/env";
import { seedUserWithTinyAccount } from "./support/tiny";
import { createTestResources, memoryLogger, waitFor, type TestResources } from "./support/resources";

const key = generateTokenKey("tk1");

let resources: TestResources;
let sandbox: TinySandbox;
let mlSandbox: MlSandbox;
let database: ReturnType<typeof createNodeDb>;
let tiny: TinyServices;
let tinyConfig: TinyConfig;
let running: Awaited<ReturnType<typeof startJobs>>;
let queue: Queue;
let jobsEnv: JobsEnv;

/**
 * The ML sandbox has two sellers, and an ML user connects to one of our users only: tests that
 * need real listings take a seller, the others a sandbox buyer, whose made-up item ids ML
 * answers 404 for (a listing without description).
 */
let nextBuyer = FIRST_BUYER_ID;
async function seedSeller(mlUserId = nextBuyer++) {
  const { userId, accountId: mlAccountId } = await connectSandboxSeller({ databaseUrl: resources.databaseUrl, tokenKeys: key, sandbox: mlSandbox, mlUserId });
  const { tinyAccountId } = await seedUserWithTinyAccount(database.db, tiny, sandbox, "psync", userId);
  return { userId, tinyAccountId, mlAccountId, mlUserId };
}

type Seller = Awaited<ReturnType<typeof seedSeller>>;

async function addListing(
  seller: Seller,
  input: { itemId: string; title: string; price: string; sku: string | null; gtin?: string; variations?: Array<{ id: number; sku: string | null; price?: string; size: string; gtin?: string }> },
) {
  const now = new Date();
  const [row] = await database.db
    .insert(mlListings)
    .values({
      accountId: seller.mlAccountId,
      mlItemId: input.itemId,
      title: input.title,
      price: input.price,
      status: "active",
      sellerSku: input.sku,
      gtin: input.gtin ?? null,
      mlLastUpdated: now,
      fetchedAt: now,
    })
    .returning({ id: mlListings.id });
  for (const v of input.variations ?? []) {
    await database.db.insert(mlListingVariations).values({
      listingId: row!.id,
      mlVariationId: v.id,
      sellerSku: v.sku,
      gtin: v.gtin ?? null,
      price: v.price ?? input.price,
      attributeCombinations: [{ id: "SIZE", name: "Tamanho", valueId: null, valueName: v.size }],
    });
  }
}

/** A real listing of the seller in the ML sandbox, with this description (an empty one is none). */
async function mlItem(seller: Seller, title: string, description: string): Promise<string> {
  const created = await fetch(`${mlSandbox.url}/_sandbox/items`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ seller_id: seller.mlUserId, title }) });
  const { id } = (await created.json()) as { id: string };
  const put = await fetch(`${mlSandbox.url}/items/${id}/description`, {
    method: "PUT",
    headers: { authorization: `Bearer ${mlSandbox.issueToken(seller.mlUserId).access_token}`, "content-type": "application/json" },
    body: JSON.stringify({ plain_text: description }),
  });
  expect(put.status).toBe(200);
  return id;
}
const descriptionReads = () => mlSandbox.counters.get("GET /items/:id/description");

/** Writes to /produtos as the sandbox counted them (the network, not our counters). */
function tinyWrites(): number {
  const counts = sandbox.counters.counts();
  return Object.entries(counts)
    .filter(([k]) => /^(POST|PUT|DELETE) \/public-api\/v3\/produtos/.test(k))
    .reduce((n, [, v]) => n + v, 0);
}
function tinyReads(): number {
  const counts = sandbox.counters.counts();
  return Object.entries(counts)
    .filter(([k]) => k.startsWith("GET /public-api/v3/produtos"))
    .reduce((n, [, v]) => n + v, 0);
}

async function runSync(seller: Seller, options: { cursor?: string } = {}): Promise<TinyProductSyncRun> {
  const claimed = await claimProductSyncRun(database.db, { userId: seller.userId, tinyAccountId: seller.tinyAccountId, trigger: "api", requestedBy: seller.userId, now: new Date() });
  if (!claimed.created) throw new Error("a run is live");
  if (options.cursor) await database.db.update(tinyProductSyncRuns).set({ cursor: options.cursor }).where(eq(tinyProductSyncRuns.id, claimed.run.id));
  await queue.add("tinyerp.products.sync", { runId: claimed.run.id });
  return waitFor(
    async () => {
      const run = await findProductSyncRun(database.db, claimed.run.id);
      return run && (run.status === "succeeded" || run.status === "failed") ? run : undefined;
    },
    "the product sync run",
    30_000,
  );
}

const linksOf = (userId: string) => database.db.select().from(tinyProductLinks).where(eq(tinyProductLinks.userId, userId));
const bySku = (sku: string) => [...sandbox.state().products.values()].filter((p) => p.sku === sku && p.situacao !== "E");
let n = 0;
const itemId = () => `MLB${Date.now() % 1e9}${String(++n).padStart(3, "0")}`;
const varId = () => 9_000_000_000 + Math.floor(Math.random() * 1e9);
const gtins = {
  caneca: ean13("789100000001"),
  camisetaM: ean13("789100000002"),
  prato: ean13("789100000003"),
  pratoNew: ean13("789100000004"),
  bermudaP: ean13("789100000005"),
  bermudaM: ean13("789100000006"),
  copoInTiny: ean13("789100000007"),
};

beforeAll(async () => {
  resources = await createTestResources();
  sandbox = await startTinySandbox({ port: 0, seed: 7, products: 5, quotas: { enabled: false } });
  mlSandbox = await startMlSandbox({ port: 0, seed: 7, listings: 1, secondSellerListings: 1, orders: 0 });
  database = createNodeDb(resources.databaseUrl, { max: 16 });
  tinyConfig = {
    apiUrl: sandbox.apiUrl,
    authUrl: sandbox.authUrl.replace(/\/auth$/, ""),
    clientId: sandbox.clientId,
    clientSecret: sandbox.clientSecret,
    redirectUri: "",
    timeoutMs: 5_000,
    maxAttempts: 3,
    refreshMarginSeconds: tinyDefaults.refreshMarginSeconds,
    quota: { ...tinyDefaults.quota, readsPerMinute: 100_000, writesPerMinute: 100_000, burstPerSecond: 100_000 },
  };
  tiny = createTinyServices({
    db: database.db,
    transaction: (fn) => database.db.transaction((tx) => fn(tx)),
    cipher: await createTokenCipher(key),
    config: tinyConfig,
    quotaStore: createMemoryQuotaStore(),
    log: memoryLogger(),
  });
  const prefix = `${resources.prefix}-psync`;
  jobsEnv = resources.env({
    REDIS_KEY_PREFIX: prefix,
    TINY_API_URL: tinyConfig.apiUrl,
    TINY_AUTH_URL: tinyConfig.authUrl,
    TINY_CLIENT_ID: tinyConfig.clientId,
    TINY_CLIENT_SECRET: tinyConfig.clientSecret,
    TOKEN_ENCRYPTION_KEYS: key,
    ML_API_URL: mlSandbox.url,
    ML_APP_ID: mlSandbox.appId,
    ML_CLIENT_SECRET: mlSandbox.clientSecret,
    ML_APP_RATE_PER_SECOND: "1000",
    ML_APP_RATE_MAX_PER_SECOND: "1000",
    TINY_QUOTA_READS_PER_MINUTE: "100000",
    TINY_QUOTA_WRITES_PER_MINUTE: "100000",
    TINY_QUOTA_BURST_PER_SECOND: "10000",
  });
  running = await startJobs(jobsEnv, { log: memoryLogger(), schedulers: false, processors: (await import("../src/processors")).processors });
  queue = new Queue("tinyerp-sync", { connection: { host: "127.0.0.1", port: 6379 }, prefix });
}, 60_000);

afterAll(async () => {
  await queue?.close();
  await running?.close();
  await database?.close();
  await sandbox?.close();
  await mlSandbox?.close();
  await resources?.cleanup();
});

describe.sequential("tinyerp.products.sync against the Tiny sandbox", () => {
  it("creates missing products (variations as Tiny variations) with the ML description, links them, and a rerun writes nothing", async () => {
    const seller = await seedSeller(DEMO_SELLER_ID);
    const simple = await mlItem(seller, "Caneca Azul", "Caneca de cerâmica, 350 ml.\nVai ao micro-ondas.");
    const varied = await mlItem(seller, "Camiseta Básica", "Camiseta 100% algodão.");
    const [v1, v2] = [varId(), varId()];
    await addListing(seller, { itemId: simple, title: "Caneca Azul", price: "39.90", sku: "PS-CANECA", gtin: gtins.caneca });
    await addListing(seller, {
      itemId: varied,
      title: "Camiseta Básica",
      price: "59.90",
      sku: null,
      variations: [
        { id: v1, sku: "PS-CAM-P", size: "P" },
        { id: v2, sku: "PS-CAM-M", price: "62.00", size: "M", gtin: gtins.camisetaM },
      ],
    });

    sandbox.counters.reset();
    mlSandbox.counters.reset();
    const run = await runSync(seller);
    expect(run.status, run.lastError ?? "").toBe("succeeded");
    expect(run.counts).toMatchObject({ listings: 2, items: 3, created: 3, linked: 3, problems: 0 });
    // One ML read per Tiny product created (the parent carries its variations).
    expect(descriptionReads()).toBe(2);
    const firstWrites = tinyWrites();
    const firstReads = tinyReads();
    // Minimum: one lookup and one write per Tiny product created (the parent carries its variations).
    expect(firstWrites).toBe(2);
    expect(firstReads).toBe(2);
    expect(run.counts).toMatchObject({ tinyReads: firstReads, tinyWrites: firstWrites });

    const caneca = bySku("PS-CANECA")[0]!;
    expect(caneca).toMatchObject({ descricao: "Caneca Azul", descricaoComplementar: "Caneca de cerâmica, 350 ml.\nVai ao micro-ondas.", unidade: "UN", tipo: "S", gtin: gtins.caneca });
    expect(caneca.precos.preco).toBe(39.9);
    const parent = bySku(varied)[0]!;
    expect(parent).toMatchObject({ tipo: "V", descricaoComplementar: "Camiseta 100% algodão." });
    const m = bySku("PS-CAM-M")[0]!;
    expect(m.parentId).toBe(parent.id);
    expect(m.precos.preco).toBe(62);
    expect(m.grade).toEqual([{ chave: "Tamanho", valor: "M" }]);
    expect(m.gtin).toBe(gtins.camisetaM);
    expect(bySku("PS-CAM-P")[0]!.gtin).toBe("");

    const links = await linksOf(seller.userId);
    expect(links.map((l) => [l.mlItemId, l.mlVariationId, l.tinyProductId, l.source]).sort()).toEqual(
      [
        [simple, null, caneca.id, "sync"],
        [varied, v1, bySku("PS-CAM-P")[0]!.id, "sync"],
        [varied, v2, m.id, "sync"],
      ].sort(),
    );

    sandbox.counters.reset();
    mlSandbox.counters.reset();
    const rerun = await runSync(seller);
    expect(rerun.status).toBe("succeeded");
    expect(rerun.counts).toMatchObject({ items: 3, created: 0, updated: 0, unchanged: 3, linked: 0, tinyWrites: 0 });
    expect(tinyWrites()).toBe(0);
    expect(descriptionReads()).toBe(0);
    expect(bySku("PS-CANECA")).toHaveLength(1);
    console.info(
      JSON.stringify({
        measurement: "tiny product sync: calls per item (3 items: 1 simple + 1 listing with 2 variations)",
        firstRun: { reads: firstReads, writes: firstWrites, callsPerItem: (firstReads + firstWrites) / 3, minimumPerNewProduct: 2, mlDescriptionReads: 2 },
        rerun: { reads: tinyReads(), writes: 0, mlDescriptionReads: 0 },
      }),
    );
  });

  it("a listing without description (ML's 404, or an empty one) is created without one", async () => {
    const seller = await seedSeller(SECOND_SELLER_ID);
    const unknownToMl = itemId();
    const empty = await mlItem(seller, "Tigela", "");
    await addListing(seller, { itemId: unknownToMl, title: "Pires", price: "7.00", sku: "PS-PIRES" });
    await addListing(seller, { itemId: empty, title: "Tigela", price: "12.00", sku: "PS-TIGELA" });
    mlSandbox.counters.reset();
    const run = await runSync(seller);
    expect(run.status, run.lastError ?? "").toBe("succeeded");
    expect(run.counts).toMatchObject({ items: 2, created: 2, linked: 2, problems: 0 });
    expect(descriptionReads()).toBe(2);
    expect(bySku("PS-PIRES")).toEqual([expect.objectContaining({ descricao: "Pires", descricaoComplementar: "" })]);
    expect(bySku("PS-TIGELA")).toEqual([expect.objectContaining({ descricao: "Tigela", descricaoComplementar: "" })]);
  });

  it("an ML account that must be reconnected reports the new item as failed instead of creating it without its description", async () => {
    const seller = await seedSeller();
    const item = itemId();
    await addListing(seller, { itemId: item, title: "Jarra", price: "25.00", sku: "PS-JARRA" });
    await database.db.update(mlAccounts).set({ status: "reauth_required" }).where(eq(mlAccounts.id, seller.mlAccountId));
    sandbox.counters.reset();
    const run = await runSync(seller);
    expect(run.status, run.lastError ?? "").toBe("succeeded");
    expect(run.problems).toEqual([expect.objectContaining({ mlItemId: item, code: "failed", message: expect.stringMatching(/description from MercadoLibre.*reconnected/) })]);
    expect(run.counts).toMatchObject({ created: 0, problems: 1, tinyWrites: 0 });
    expect(bySku("PS-JARRA")).toHaveLength(0);
    expect(tinyWrites()).toBe(0);
  });

  it("a price change in ML updates Tiny (one PUT), and a new variation is added to the existing product", async () => {
    const seller = await seedSeller();
    const simple = itemId();
    const varied = itemId();
    const v1 = varId();
    await addListing(seller, { itemId: simple, title: "Garrafa", price: "20.00", sku: "PS-GARRAFA" });
    await addListing(seller, { itemId: varied, title: "Meia", price: "10.00", sku: "PS-MEIA", variations: [{ id: v1, sku: "PS-MEIA-1", size: "1" }] });
    expect((await runSync(seller)).status).toBe("succeeded");

    await database.db.update(mlListings).set({ price: "24.50" }).where(eq(mlListings.mlItemId, simple));
    const [listing] = await database.db.select({ id: mlListings.id }).from(mlListings).where(eq(mlListings.mlItemId, varied));
    const v2 = varId();
    await database.db
      .insert(mlListingVariations)
      .values({ listingId: listing!.id, mlVariationId: v2, sellerSku: "PS-MEIA-2", price: "11.00", attributeCombinations: [{ id: "SIZE", name: "Tamanho", valueId: null, valueName: "2" }] });
    await database.db.update(mlListingVariations).set({ price: "12.00" }).where(eq(mlListingVariations.mlVariationId, v1));

    sandbox.counters.reset();
    const run = await runSync(seller);
    expect(run.status).toBe("succeeded");
    expect(run.counts).toMatchObject({ created: 1, updated: 2, linked: 1, problems: 0 });
    expect(bySku("PS-GARRAFA")[0]!.precos.preco).toBe(24.5);
    expect(bySku("PS-MEIA-1")[0]!.precos.preco).toBe(12);
    expect(bySku("PS-MEIA-2")[0]!.parentId).toBe(bySku("PS-MEIA")[0]!.id);
    expect(sandbox.counters.get("PUT /public-api/v3/produtos/:idProduto")).toBe(1);
  });

  it("a GTIN that alone differs is a change (one PUT for the product, one for the variation); a listing without one leaves Tiny's alone", async () => {
    const seller = await seedSeller();
    const simple = itemId();
    const varied = itemId();
    const bare = itemId();
    const [v1, v2] = [varId(), varId()];
    await addListing(seller, { itemId: simple, title: "Prato", price: "30.00", sku: "PS-PRATO", gtin: gtins.prato });
    await addListing(seller, {
      itemId: varied,
      title: "Bermuda",
      price: "80.00",
      sku: "PS-BERM",
      variations: [
        { id: v1, sku: "PS-BERM-P", size: "P", gtin: gtins.bermudaP },
        { id: v2, sku: "PS-BERM-M", size: "M" },
      ],
    });
    await addListing(seller, { itemId: bare, title: "Copo", price: "9.00", sku: "PS-COPO" });
    expect((await runSync(seller)).status).toBe("succeeded");
    // The seller typed a GTIN into Tiny for a product whose listing has none.
    const typed = await fetch(`${sandbox.apiUrl}/produtos/${bySku("PS-COPO")[0]!.id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${(await sandbox.issueTokens()).access_token}`, "content-type": "application/json" },
      body: JSON.stringify({ descricao: "Copo", gtin: gtins.copoInTiny }),
    });
    expect(typed.status).toBe(204);

    await database.db.update(mlListings).set({ gtin: gtins.pratoNew }).where(eq(mlListings.mlItemId, simple));
    await database.db.update(mlListingVariations).set({ gtin: gtins.bermudaM }).where(eq(mlListingVariations.mlVariationId, v2));
    sandbox.counters.reset();
    const run = await runSync(seller);
    expect(run.status, run.lastError ?? "").toBe("succeeded");
    expect(run.counts).toMatchObject({ items: 4, created: 0, updated: 2, unchanged: 2, problems: 0 });
    expect(sandbox.counters.get("PUT /public-api/v3/produtos/:idProduto")).toBe(1);
    expect(sandbox.counters.get("PUT /public-api/v3/produtos/:idProduto/variacoes/:idVariacao")).toBe(1);
    expect(tinyWrites()).toBe(2);
    expect(bySku("PS-PRATO")[0]).toMatchObject({ gtin: gtins.pratoNew, descricao: "Prato", precos: expect.objectContaining({ preco: 30 }) });
    expect(bySku("PS-BERM-M")[0]!.gtin).toBe(gtins.bermudaM);
    expect(bySku("PS-BERM-P")[0]!.gtin).toBe(gtins.bermudaP);
    expect(bySku("PS-COPO")[0]!.gtin).toBe(gtins.copoInTiny);

    sandbox.counters.reset();
    expect((await runSync(seller)).counts).toMatchObject({ updated: 0, unchanged: 4, tinyWrites: 0 });
    expect(tinyWrites()).toBe(0);
  });

  it("reports a listing without SKU and duplicate SKUs, creating nothing for them", async () => {
    const seller = await seedSeller();
    const noSku = itemId();
    const dupA = itemId();
    const dupB = itemId();
    await addListing(seller, { itemId: noSku, title: "Sem SKU", price: "5.00", sku: null });
    await addListing(seller, { itemId: dupA, title: "Dup A", price: "5.00", sku: "PS-DUP" });
    await addListing(seller, { itemId: dupB, title: "Dup B", price: "6.00", sku: "PS-DUP" });
    sandbox.counters.reset();
    const run = await runSync(seller);
    expect(run.status).toBe("succeeded");
    expect(run.counts).toMatchObject({ items: 3, created: 0, problems: 3, tinyReads: 0, tinyWrites: 0 });
    expect(run.problems.map((p) => [p.mlItemId, p.code]).sort()).toEqual(
      [
        [noSku, "missing_sku"],
        [dupA, "duplicate_sku"],
        [dupB, "duplicate_sku"],
      ].sort(),
    );
    expect(bySku("PS-DUP")).toHaveLength(0);
    expect(await linksOf(seller.userId)).toHaveLength(0);
    expect(tinyWrites()).toBe(0);
  });

  it("never overwrites a manual link, and never writes to Tiny for it", async () => {
    const seller = await seedSeller();
    const item = itemId();
    await addListing(seller, { itemId: item, title: "Vela", price: "15.00", sku: "PS-VELA" });
    const chosen = [...sandbox.state().products.values()].find((p) => p.sku === "SKU-1")!;
    await upsertManualLink(database.db, { userId: seller.userId, tinyAccountId: seller.tinyAccountId, mlItemId: item, mlVariationId: null, tinyProductId: chosen.id, tinySku: "SKU-1" }, new Date());
    sandbox.counters.reset();
    const run = await runSync(seller);
    expect(run.counts).toMatchObject({ items: 1, manual: 1, created: 0, linked: 0 });
    expect(tinyWrites()).toBe(0);
    expect(bySku("PS-VELA")).toHaveLength(0);
    const [link] = await database.db
      .select()
      .from(tinyProductLinks)
      .where(and(eq(tinyProductLinks.userId, seller.userId), eq(tinyProductLinks.mlItemId, item)));
    expect(link).toMatchObject({ source: "manual", tinyProductId: chosen.id });
  });

  it("a Tiny refusal is reported on the item and the run goes on", async () => {
    const seller = await seedSeller();
    const bad = itemId();
    const good = itemId();
    // Tiny requires a description; an empty title makes the create fail validation.
    await addListing(seller, { itemId: bad, title: "", price: "1.00", sku: "PS-BAD" });
    await addListing(seller, { itemId: good, title: "Boa", price: "1.00", sku: "PS-GOOD" });
    const run = await runSync(seller);
    expect(run.status, run.lastError ?? "").toBe("succeeded");
    expect(run.problems).toEqual([expect.objectContaining({ mlItemId: bad, code: "tiny_rejected" })]);
    expect(bySku("PS-GOOD")).toHaveLength(1);
  });

  it("resumes after the run's cursor: listings already handled are not read again", async () => {
    const seller = await seedSeller();
    const first = `MLB1${Date.now() % 1e8}`;
    const second = `MLB2${Date.now() % 1e8}`;
    await addListing(seller, { itemId: first, title: "Primeiro", price: "3.00", sku: "PS-RES-1" });
    await addListing(seller, { itemId: second, title: "Segundo", price: "3.00", sku: "PS-RES-2" });
    const run = await runSync(seller, { cursor: first });
    expect(run.counts).toMatchObject({ listings: 1, created: 1 });
    expect(bySku("PS-RES-1")).toHaveLength(0);
    expect(bySku("PS-RES-2")).toHaveLength(1);
  });

  it("a run whose slice ends on the job's last attempt is deferred, not failed, and the next execution finishes it", async () => {
    const seller = await seedSeller();
    await addListing(seller, { itemId: `MLB1${Date.now() % 1e8}`, title: "Fatia um", price: "4.00", sku: "PS-SLICE-1" });
    await addListing(seller, { itemId: `MLB2${Date.now() % 1e8}`, title: "Fatia dois", price: "4.00", sku: "PS-SLICE-2" });
    const claimed = await claimProductSyncRun(database.db, { userId: seller.userId, tinyAccountId: seller.tinyAccountId, trigger: "api", requestedBy: seller.userId, now: new Date() });
    if (!claimed.created) throw new Error("a run is live");
    const redis = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: 1 });
    try {
      const services = await buildJobServices(jobsEnv, { db: database.db, redis, log: memoryLogger() });
      const deferred: string[] = [];
      // The clock the processor starts the slice with, then one past the slice for everything after: the first listing ends it.
      const slicingClock = () => {
        let calls = 0;
        return () => new Date(Date.now() + (calls++ === 0 ? 0 : productSyncSliceMs + 1));
      };
      const context = (now: () => Date): JobContext<"tinyerp.products.sync"> => ({
        job: { id: `slice-${claimed.run.id}`, name: "tinyerp.products.sync", queue: "tinyerp-sync", attempt: 3, maxAttempts: 3, enqueuedAt: Date.now() },
        log: memoryLogger(),
        db: database.db,
        enqueue: () => Promise.reject(new Error("not used by tinyerp.products.sync")),
        signal: new AbortController().signal,
        services,
        now,
        defer: (_ms, reason) => {
          deferred.push(reason);
          return Promise.reject(new DelayedError(reason));
        },
        progress: async () => undefined,
      });
      await expect(tinyProductSync({ runId: claimed.run.id }, context(slicingClock()))).rejects.toBeInstanceOf(DelayedError);
      expect(deferred).toEqual(["time slice"]);
      expect(await findProductSyncRun(database.db, claimed.run.id)).toMatchObject({ status: "running", counts: expect.objectContaining({ listings: 1 }) });
      // BullMQ runs it again on the same attempt: the run resumes after its cursor and ends.
      await tinyProductSync(
        { runId: claimed.run.id },
        context(() => new Date()),
      );
      expect(await findProductSyncRun(database.db, claimed.run.id)).toMatchObject({ status: "succeeded", counts: expect.objectContaining({ listings: 2, created: 2 }) });
      expect(bySku("PS-SLICE-1")).toHaveLength(1);
      expect(bySku("PS-SLICE-2")).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });

  it("the daily schedule starts a run per account and skips an account whose run is live", async () => {
    const seller = await seedSeller();
    await addListing(seller, { itemId: itemId(), title: "Agendado", price: "8.00", sku: "PS-SCHED" });
    const job = await queue.add("tinyerp.products.sync.schedule", { accountId: seller.tinyAccountId });
    await waitFor(async () => ((await job.getState()) === "completed" ? true : undefined), "the schedule fan-out", 20_000);
    expect((await queue.getJob(job.id!))!.returnvalue).toMatchObject({ accounts: 1, started: 1 });
    const runs = await waitFor(
      async () => {
        const rows = await database.db.select().from(tinyProductSyncRuns).where(eq(tinyProductSyncRuns.tinyAccountId, seller.tinyAccountId));
        return rows.length === 1 && rows[0]!.status === "succeeded" ? rows : undefined;
      },
      "the scheduled run",
      20_000,
    );
    expect(runs).toEqual([expect.objectContaining({ trigger: "schedule" })]);
    expect(bySku("PS-SCHED")).toHaveLength(1);
  });
});
