import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { inject } from "vitest";
import { beforeAll, describe, expect, it } from "vitest";
import { uuidv7 } from "#core/ids";
import { toClaimRow, toListingRow, toOrderRow, toQuestionRow, toShipmentRow } from "#integrations/mercadolibre/transform";
import { mlAccounts, mlSyncRuns } from "#db/schema";
import { upsertClaim, upsertListing, upsertOrder, upsertQuestion, upsertShipment } from "#db/queries/ml-data";
import { api, problemFields, registerUser, type Session } from "./support/api";
import { sandbox, sandboxUrl, seedAccount, testServices } from "./support/ml";

/**
 * The /ml data API inside workerd. Rows are inserted for accounts made here (never the shared
 * sandbox sellers' ids); the few calls that reach ML (refresh, answer, label) use a grant of a
 * sandbox test user of this file's own, as the other ML tests do.
 */
const bindings = env as unknown as Record<string, string>;
const services = testServices();
const now = Date.now();

let owner: Session;
let stranger: Session;
let accountId: string;
let strangerAccountId: string;
let live: { id: string; mlUserId: number; accessToken: string };

/** Each account's ML user: the seller every fixture of that account names, as ML would. */
const sellerOf = new Map<string, number>();

async function plainAccount(userId: string): Promise<string> {
  const id = uuidv7();
  const mlUserId = 800_000_000 + Math.floor(Math.random() * 99_000_000);
  // No grant: these accounts only own rows; nothing here calls ML with them.
  await services.db.insert(mlAccounts).values({ id, userId, mlUserId, nickname: `DATA_${mlUserId}`, siteId: "MLB" });
  sellerOf.set(id, mlUserId);
  return id;
}

/** A made-up ML body names its account's seller in every place ML puts one (item, order, question, claim, shipment). */
function soldBy<T extends object>(accountId: string, body: T): T {
  const seller = sellerOf.get(accountId)!;
  return { ...body, seller_id: seller, seller: { id: seller }, sender_id: seller, players: [{ role: "respondent", type: "seller", user_id: seller }] };
}

/** A new listing of the live account's own sandbox seller. */
async function liveListing(options: Record<string, unknown> = {}): Promise<string> {
  return (await sandbox<{ id: string }>("/_sandbox/items", { json: { seller_id: live.mlUserId, ...options } })).id;
}

const itemId = () => `MLB${9_000_000_000 + Math.floor(Math.random() * 900_000_000)}`;
const minutesAgo = (m: number) => new Date(now - m * 60_000).toISOString();

function item(overrides: Record<string, unknown> = {}) {
  return {
    id: itemId(),
    title: "Fone Bluetooth Verde",
    price: 99.9,
    currency_id: "BRL",
    available_quantity: 10,
    sold_quantity: 1,
    status: "active",
    permalink: "https://produto.mercadolivre.com.br/x",
    thumbnail: "http://http2.mlstatic.com/x.jpg",
    category_id: "MLB1",
    listing_type_id: "gold_special",
    attributes: [{ id: "SELLER_SKU", value_name: `SKU-${crypto.randomUUID().slice(0, 8)}` }],
    date_created: minutesAgo(1000),
    last_updated: minutesAgo(Math.floor(Math.random() * 500)),
    variations: [],
    ...overrides,
  };
}

let orderSeq = 0;
function order(overrides: Record<string, unknown> = {}) {
  orderSeq++;
  const id = 3_000_000_000_000 + Math.floor(Math.random() * 1e9) * 100 + orderSeq;
  return {
    id,
    status: "paid",
    date_created: minutesAgo(orderSeq * 10),
    date_closed: minutesAgo(orderSeq * 10),
    last_updated: minutesAgo(orderSeq * 10),
    currency_id: "BRL",
    total_amount: 120.5,
    paid_amount: 120.5,
    order_items: [
      { item: { id: itemId(), title: "Camiseta", seller_sku: "CAM-1" }, quantity: 2, unit_price: 60.25, full_unit_price: 60.25, sale_fee: 7.1, currency_id: "BRL", listing_type_id: "gold_pro" },
    ],
    payments: [{ id: id + 7, status: "approved", transaction_amount: 120.5, total_paid_amount: 120.5, installments: 1 }],
    buyer: { id: 520_000_000 + orderSeq, nickname: `COMPRADOR_${orderSeq}` },
    shipping: { id: 77_000_000_000 + (id % 1_000_000) },
    tags: ["paid"],
    ...overrides,
  };
}

beforeAll(async () => {
  owner = await registerUser();
  stranger = await registerUser();
  accountId = await plainAccount(owner.user.id);
  strangerAccountId = await plainAccount(stranger.user.id);
  live = await seedAccount(services, owner.user.id);
  sellerOf.set(live.id, live.mlUserId);
  const fetchedAt = new Date();
  for (let i = 0; i < 30; i++) {
    const status = i % 5 === 0 ? "paused" : "active";
    await services.transaction((tx) => upsertListing(tx, accountId, toListingRow(soldBy(accountId, item({ title: `Produto ${String(i).padStart(2, "0")} azul`, status, price: 10 + i })), fetchedAt)));
  }
  await services.transaction((tx) =>
    upsertListing(
      tx,
      accountId,
      toListingRow(
        soldBy(
          accountId,
          item({
            title: "Tênis com variações",
            variations: [
              {
                id: 990_000_000_001,
                price: 200,
                available_quantity: 3,
                attributes: [{ id: "SELLER_SKU", value_name: "TEN-VAR-42" }],
                attribute_combinations: [{ id: "SIZE", name: "Tamanho", value_name: "42" }],
              },
            ],
          }),
        ),
        fetchedAt,
      ),
    ),
  );
  for (let i = 0; i < 5; i++) await services.transaction((tx) => upsertListing(tx, strangerAccountId, toListingRow(soldBy(strangerAccountId, item({ title: `Alheio ${i} azul` })), fetchedAt)));
});

describe("auth and tenant isolation", () => {
  it("requires a bearer token on every endpoint", async () => {
    const id = crypto.randomUUID();
    const paths: Array<[string, string]> = [
      ["POST", `/ml/accounts/${id}/sync`],
      ["GET", `/ml/sync/runs/${id}`],
      ["GET", "/ml/listings"],
      ["GET", "/ml/listings/MLB1"],
      ["GET", "/ml/orders"],
      ["GET", "/ml/orders/1"],
      ["GET", "/ml/questions"],
      ["POST", "/ml/questions/1/answer"],
      ["GET", "/ml/claims"],
      ["GET", "/ml/shipments/1"],
      ["GET", "/ml/shipments/1/label"],
    ];
    for (const [method, path] of paths) {
      const response = await api(path, { method, ...(method === "POST" ? { json: {} } : {}) });
      expect(response.status, `${method} ${path}`).toBe(401);
    }
  });

  it("never shows another user's records, by list or by id", async () => {
    const mine = await api<{ items: { accountId: string; id: string; mlItemId: string }[] }>("/ml/listings?limit=100", { token: owner.accessToken });
    expect(mine.body.items.every((l) => l.accountId !== strangerAccountId)).toBe(true);
    const theirs = await api<{ items: { id: string; mlItemId: string }[] }>("/ml/listings?limit=100", { token: stranger.accessToken });
    expect(theirs.body.items).toHaveLength(5);
    const foreign = theirs.body.items[0]!;
    expect((await api(`/ml/listings/${foreign.id}`, { token: owner.accessToken })).status).toBe(404);
    expect((await api(`/ml/listings/${foreign.mlItemId}`, { token: owner.accessToken })).status).toBe(404);
    expect((await api(`/ml/listings?account=${strangerAccountId}`, { token: owner.accessToken })).status).toBe(404);
    expect((await api(`/ml/orders?account=${strangerAccountId}`, { token: owner.accessToken })).status).toBe(404);
    expect((await api(`/ml/accounts/${strangerAccountId}/sync`, { method: "POST", json: { kind: "listings" }, token: owner.accessToken })).status).toBe(404);

    const foreignOrder = order();
    await services.transaction((tx) => upsertOrder(tx, strangerAccountId, toOrderRow(soldBy(strangerAccountId, foreignOrder), new Date())));
    expect((await api(`/ml/orders/${foreignOrder.id}`, { token: owner.accessToken })).status).toBe(404);
    await upsertShipment(services.db, strangerAccountId, toShipmentRow(soldBy(strangerAccountId, { id: foreignOrder.shipping.id, status: "shipped", last_updated: minutesAgo(1) }), new Date()));
    expect((await api(`/ml/shipments/${foreignOrder.shipping.id}`, { token: owner.accessToken })).status).toBe(404);
    expect((await api(`/ml/shipments/${foreignOrder.shipping.id}/label`, { token: owner.accessToken })).status).toBe(404);
    const q = { id: 14_000_000_000 + Math.floor(Math.random() * 1e6), item_id: itemId(), status: "UNANSWERED", text: "oi?", date_created: minutesAgo(3) };
    await upsertQuestion(services.db, strangerAccountId, toQuestionRow(soldBy(strangerAccountId, q), new Date()));
    expect((await api(`/ml/questions/${q.id}/answer`, { method: "POST", json: { text: "sim" }, token: owner.accessToken })).status).toBe(404);
    const questions = await api<{ items: { mlQuestionId: number }[] }>("/ml/questions", { token: owner.accessToken });
    expect(questions.body.items.some((x) => x.mlQuestionId === q.id)).toBe(false);
    const claim = { id: 5_300_000_000 + Math.floor(Math.random() * 1e6), status: "opened", resource: "order", resource_id: foreignOrder.id, date_created: minutesAgo(5), last_updated: minutesAgo(5) };
    await upsertClaim(services.db, strangerAccountId, toClaimRow(soldBy(strangerAccountId, claim), new Date()));
    const claims = await api<{ items: { mlClaimId: number }[] }>("/ml/claims", { token: owner.accessToken });
    expect(claims.body.items.some((c) => c.mlClaimId === claim.id)).toBe(false);
  });
});

describe("sync runs", () => {
  it("starts one run per account and kind, hands it to QStash, and answers 409 with the live run's id", async () => {
    const first = await api<{ run: { id: string; status: string; kind: string }; jobId: string }>(`/ml/accounts/${live.id}/sync`, {
      method: "POST",
      json: { kind: "listings" },
      token: owner.accessToken,
    });
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body.run).toMatchObject({ status: "queued", kind: "listings" });
    const second = await api<{ runId: string; code: string }>(`/ml/accounts/${live.id}/sync`, { method: "POST", json: { kind: "all" }, token: owner.accessToken });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: "conflict", runId: first.body.run.id });
    expect(second.headers.get("content-type")).toContain("application/problem+json");

    const run = await api<{ id: string; status: string; percent: number }>(`/ml/sync/runs/${first.body.run.id}`, { token: owner.accessToken });
    expect(run.body).toMatchObject({ id: first.body.run.id, status: "queued", percent: 0 });
    expect((await api(`/ml/sync/runs/${first.body.run.id}`, { token: stranger.accessToken })).status).toBe(404);

    const events = await fetch(`${inject("stackUrls").qstash}/v2/events?count=1000`, { headers: { authorization: `Bearer ${bindings.QSTASH_TOKEN}` } });
    const published = ((await events.json()) as { events: { url: string; state: string }[] }).events.filter((e) => e.url === `${bindings.JOBS_PUBLIC_URL}/qstash/ml.sync`);
    expect(published.length).toBeGreaterThan(0);
  });

  it("fails a run QStash does not take, answering 503 with Retry-After, so the next request starts a new one", async () => {
    const account = await plainAccount(owner.user.id);
    // One bindings object per configuration: the Worker caches its config per object.
    const qstashDown = { ...bindings, QSTASH_URL: "http://127.0.0.1:9" };
    const refused = await api<{ detail: string }>(`/ml/accounts/${account}/sync`, { method: "POST", json: { kind: "listings" }, token: owner.accessToken, bindings: qstashDown });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(refused.body.detail).toBe("The sync could not be queued; try again.");
    const runs = await services.db.select().from(mlSyncRuns).where(eq(mlSyncRuns.accountId, account));
    expect(runs.map((r) => r.status)).toEqual(["failed"]);

    const next = await api<{ run: { id: string } }>(`/ml/accounts/${account}/sync`, { method: "POST", json: { kind: "listings" }, token: owner.accessToken });
    expect(next.status).toBe(202);
    expect(next.body.run.id).not.toBe(runs[0]!.id);
  });

  it("turns concurrent requests into exactly one run", async () => {
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => api<{ run?: { id: string }; runId?: string }>(`/ml/accounts/${live.id}/sync`, { method: "POST", json: { kind: "orders" }, token: owner.accessToken })),
    );
    const created = answers.filter((a) => a.status === 202);
    expect(created).toHaveLength(1);
    const runId = created[0]!.body.run!.id;
    for (const a of answers.filter((x) => x.status !== 202)) expect(a).toMatchObject({ status: 409, body: { runId } });
  });

  it("rejects bad input with field details", async () => {
    const bad = await api(`/ml/accounts/${live.id}/sync`, { method: "POST", json: { kind: "everything", mode: "fast" }, token: owner.accessToken });
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body).sort()).toEqual(["body.kind", "body.mode"]);
    expect((await api(`/ml/accounts/not-a-uuid/sync`, { method: "POST", json: { kind: "all" }, token: owner.accessToken })).status).toBe(400);
    expect((await api(`/ml/sync/runs/nope`, { token: owner.accessToken })).status).toBe(400);
  });
});

describe("GET /ml/listings", () => {
  it("filters by status, SKU (item or variation) and text, and sorts by price", async () => {
    const paused = await api<{ items: { status: string }[] }>(`/ml/listings?account=${accountId}&status=paused`, { token: owner.accessToken });
    expect(paused.body.items.length).toBe(6);
    expect(paused.body.items.every((l) => l.status === "paused")).toBe(true);
    const bySku = await api<{ items: { title: string }[] }>("/ml/listings?sku=TEN-VAR-42", { token: owner.accessToken });
    expect(bySku.body.items.map((l) => l.title)).toEqual(["Tênis com variações"]);
    const text = await api<{ items: unknown[] }>(`/ml/listings?account=${accountId}&q=AZUL`, { token: owner.accessToken });
    expect(text.body.items).toHaveLength(30);
    const cheap = await api<{ items: { price: string }[] }>(`/ml/listings?account=${accountId}&sort=price&limit=3`, { token: owner.accessToken });
    expect(cheap.body.items.map((l) => l.price)).toEqual(["10.00", "11.00", "12.00"]);
    const detail = await api<{ variations: { sellerSku: string }[] }>(`/ml/listings?sku=TEN-VAR-42`, { token: owner.accessToken });
    expect(detail.status).toBe(200);
  });

  it("pages by keyset: every row exactly once while rows are added and changed between pages", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const response: { status: number; body: { items: { id: string; title: string }[]; nextCursor: string | null } } = await api(
        `/ml/listings?account=${accountId}&sort=title&limit=7${cursor ? `&cursor=${cursor}` : ""}`,
        { token: owner.accessToken },
      );
      expect(response.status).toBe(200);
      seen.push(...response.body.items.map((l) => l.id));
      cursor = response.body.nextCursor;
      // Rows appear before and after the position, and a seen row changes: nothing repeats or goes missing.
      await services.transaction((tx) => upsertListing(tx, accountId, toListingRow(soldBy(accountId, item({ title: `AAA novo ${round}` })), new Date())));
      await services.transaction((tx) => upsertListing(tx, accountId, toListingRow(soldBy(accountId, item({ title: `zzz novo ${round}` })), new Date())));
      round++;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(31);
  });

  it("rejects a bad cursor, a cursor of another sort and limits above 100", async () => {
    const first = await api<{ nextCursor: string }>(`/ml/listings?account=${accountId}&limit=2`, { token: owner.accessToken });
    const otherSort = await api(`/ml/listings?sort=title&cursor=${first.body.nextCursor}`, { token: owner.accessToken });
    expect(otherSort.status).toBe(400);
    expect(problemFields(otherSort.body)).toEqual(["query.cursor"]);
    expect(problemFields((await api("/ml/listings?cursor=%%%", { token: owner.accessToken })).body)).toEqual(["query.cursor"]);
    expect(problemFields((await api("/ml/listings?limit=101", { token: owner.accessToken })).body)).toEqual(["query.limit"]);
    expect(problemFields((await api("/ml/listings?sort=popularity", { token: owner.accessToken })).body)).toEqual(["query.sort"]);
  });

  it("GET /ml/listings/:id gives variations, and refresh=true reads ML and stores what it says", async () => {
    const bySku = await api<{ items: { id: string; mlItemId: string }[] }>("/ml/listings?sku=TEN-VAR-42", { token: owner.accessToken });
    const detail = await api<{ variations: { sellerSku: string; mlVariationId: number }[] }>(`/ml/listings/${bySku.body.items[0]!.mlItemId}`, { token: owner.accessToken });
    expect(detail.body.variations).toEqual([expect.objectContaining({ sellerSku: "TEN-VAR-42", mlVariationId: 990_000_000_001 })]);

    const realId = await liveListing();
    await services.transaction((tx) => upsertListing(tx, live.id, toListingRow(soldBy(live.id, item({ id: realId, title: "stale title", last_updated: "2000-01-01T00:00:00.000Z" })), new Date(0))));
    const stale = await api<{ title: string }>(`/ml/listings/${realId}`, { token: owner.accessToken });
    expect(stale.body.title).toBe("stale title");
    const fresh = await api<{ title: string; mlItemId: string }>(`/ml/listings/${realId}?refresh=true`, { token: owner.accessToken });
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(200);
    expect(fresh.body.title).not.toBe("stale title");
    expect((await api<{ title: string }>(`/ml/listings/${realId}`, { token: owner.accessToken })).body.title).toBe(fresh.body.title);
  });
});

describe("orders, questions, claims, shipments", () => {
  const orders: ReturnType<typeof order>[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 12; i++) orders.push(order({ status: i % 4 === 0 ? "cancelled" : "paid" }));
    for (const o of orders) await services.transaction((tx) => upsertOrder(tx, accountId, toOrderRow(soldBy(accountId, o), new Date())));
    await upsertShipment(
      services.db,
      accountId,
      toShipmentRow(
        soldBy(accountId, {
          id: orders[1]!.shipping.id,
          status: "ready_to_ship",
          substatus: "ready_to_print",
          logistic: { mode: "me2", type: "drop_off" },
          tracking_number: null,
          last_updated: minutesAgo(2),
        }),
        new Date(),
      ),
    );
  });

  it("lists newest first with filters and a stable cursor, and shows one with items, payments and shipment", async () => {
    const all: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { mlOrderId: number }[]; nextCursor: string | null } } = await api(`/ml/orders?account=${accountId}&limit=5${cursor ? `&cursor=${cursor}` : ""}`, {
        token: owner.accessToken,
      });
      all.push(...page.body.items.map((o) => o.mlOrderId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all).toEqual(orders.map((o) => o.id));
    const cancelled = await api<{ items: unknown[] }>(`/ml/orders?account=${accountId}&status=cancelled`, { token: owner.accessToken });
    expect(cancelled.body.items).toHaveLength(3);
    const ranged = await api<{ items: { mlOrderId: number }[] }>(`/ml/orders?account=${accountId}&from=${encodeURIComponent(minutesAgo(35))}&to=${encodeURIComponent(minutesAgo(15))}`, {
      token: owner.accessToken,
    });
    expect(ranged.body.items.length).toBeGreaterThanOrEqual(2);
    const byBuyer = await api<{ items: { mlOrderId: number }[] }>(`/ml/orders?buyer=${orders[2]!.buyer.id}`, { token: owner.accessToken });
    expect(byBuyer.body.items.map((o) => o.mlOrderId)).toEqual([orders[2]!.id]);
    const bad = await api(`/ml/orders?from=yesterday&limit=0`, { token: owner.accessToken });
    expect(problemFields(bad.body).sort()).toEqual(["query.from", "query.limit"]);

    const detail = await api<{ items: { sellerSku: string; quantity: number }[]; payments: { status: string }[]; shipment: { status: string; labelAvailable: boolean } | null }>(
      `/ml/orders/${orders[1]!.id}`,
      { token: owner.accessToken },
    );
    expect(detail.status).toBe(200);
    expect(detail.body.items).toEqual([expect.objectContaining({ sellerSku: "CAM-1", quantity: 2 })]);
    expect(detail.body.payments).toEqual([expect.objectContaining({ status: "approved" })]);
    expect(detail.body.shipment).toMatchObject({ status: "ready_to_ship", labelAvailable: true });
    expect((await api(`/ml/orders/999`, { token: owner.accessToken })).status).toBe(404);
  });

  it("lists questions unanswered first and answers one on ML, storing the answer", async () => {
    const base = 15_000_000_000 + Math.floor(Math.random() * 1e6) * 10;
    await upsertQuestion(
      services.db,
      accountId,
      toQuestionRow(
        soldBy(accountId, {
          id: base + 1,
          item_id: itemId(),
          status: "ANSWERED",
          text: "newest but answered",
          date_created: minutesAgo(1),
          answer: { text: "sim", status: "ACTIVE", date_created: minutesAgo(0) },
        }),
        new Date(),
      ),
    );
    await upsertQuestion(
      services.db,
      accountId,
      toQuestionRow(soldBy(accountId, { id: base + 2, item_id: itemId(), status: "UNANSWERED", text: "older, open", date_created: minutesAgo(50) }), new Date()),
    );
    const list = await api<{ items: { mlQuestionId: number; status: string }[] }>(`/ml/questions?account=${accountId}`, { token: owner.accessToken });
    expect(list.body.items.map((q) => q.status)).toEqual(["UNANSWERED", "ANSWERED"]);

    const realItem = await liveListing();
    const asked = await sandbox<{ id: number }>("/_sandbox/questions", { json: { item_id: realItem, text: "Serve no modelo X?" } });
    const raw = await (await fetch(`${sandboxUrl()}/questions/${asked.id}?api_version=4`)).json();
    await upsertQuestion(services.db, live.id, toQuestionRow(raw, new Date()));

    const tooLong = await api(`/ml/questions/${asked.id}/answer`, { method: "POST", json: { text: "x".repeat(2001) }, token: owner.accessToken });
    expect(tooLong.status).toBe(400);
    expect(problemFields(tooLong.body)).toEqual(["body.text"]);
    const empty = await api(`/ml/questions/${asked.id}/answer`, { method: "POST", json: {}, token: owner.accessToken });
    expect(problemFields(empty.body)).toEqual(["body.text"]);
    const answered = await api<{ status: string; answerText: string }>(`/ml/questions/${asked.id}/answer`, { method: "POST", json: { text: "Serve sim, é universal." }, token: owner.accessToken });
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
    expect(answered.body).toMatchObject({ status: "ANSWERED", answerText: "Serve sim, é universal." });
    const again = await api(`/ml/questions/${asked.id}/answer`, { method: "POST", json: { text: "de novo" }, token: owner.accessToken });
    expect(again.status).toBe(409);
  });

  it("lists claims", async () => {
    const claim = {
      id: 5_400_000_000 + Math.floor(Math.random() * 1e6),
      status: "opened",
      resource: "order",
      resource_id: orders[3]!.id,
      type: "mediations",
      stage: "claim",
      date_created: minutesAgo(5),
      last_updated: minutesAgo(5),
    };
    await upsertClaim(services.db, accountId, toClaimRow(soldBy(accountId, claim), new Date()));
    const claims = await api<{ items: { mlClaimId: number; status: string }[] }>(`/ml/claims?account=${accountId}&status=opened`, { token: owner.accessToken });
    expect(claims.body.items.map((c) => c.mlClaimId)).toContain(claim.id);
    expect(problemFields((await api(`/ml/claims?status=maybe`, { token: owner.accessToken })).body)).toEqual(["query.status"]);
  });

  it("shows a shipment and passes its label through as PDF or ZPL (ZIP)", async () => {
    const stored = await api<{ status: string; labelAvailable: boolean }>(`/ml/shipments/${orders[1]!.shipping.id}`, { token: owner.accessToken });
    expect(stored.body).toMatchObject({ status: "ready_to_ship", labelAvailable: true });
    expect((await api(`/ml/shipments/123456`, { token: owner.accessToken })).status).toBe(404);
    expect(problemFields((await api(`/ml/shipments/abc`, { token: owner.accessToken })).body)).toEqual(["params.id"]);

    // A fresh paid sale of the live seller on a cross-docking listing: its label is printable.
    const crossDocking = await liveListing({ user_product: true });
    const sale = await sandbox<Record<string, unknown>>("/_sandbox/orders", { json: { seller_id: live.mlUserId, item_id: crossDocking } });
    await services.transaction((tx) => upsertOrder(tx, live.id, toOrderRow(sale, new Date())));
    const shipmentId = (sale!.shipping as { id: number }).id;
    // Not stored yet, but one of our orders names it: read from ML and stored.
    const fetched = await api<{ status: string; substatus: string; labelAvailable: boolean }>(`/ml/shipments/${shipmentId}`, { token: owner.accessToken });
    expect(fetched.status, JSON.stringify(fetched.body)).toBe(200);
    expect(fetched.body).toMatchObject({ status: "ready_to_ship", labelAvailable: true });

    const pdf = await api<string>(`/ml/shipments/${shipmentId}/label?format=pdf`, { token: owner.accessToken });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toContain("application/pdf");
    expect(pdf.body.startsWith("%PDF")).toBe(true);
    const zpl = await api<string>(`/ml/shipments/${shipmentId}/label?format=zpl`, { token: owner.accessToken });
    expect(zpl.status).toBe(200);
    expect(zpl.headers.get("content-type")).toContain("application/zip");
    expect(zpl.body.startsWith("PK")).toBe(true);
    expect(problemFields((await api(`/ml/shipments/${shipmentId}/label?format=png`, { token: owner.accessToken })).body)).toEqual(["query.format"]);
  });
});
