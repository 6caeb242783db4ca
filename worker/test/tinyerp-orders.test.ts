import { describe, expect, it } from "vitest";
import { setMlEcommerceChannel } from "#db/queries/tiny-orders";
import { eq } from "drizzle-orm";
import { mlOrderItems, mlOrders, tinyAccounts, tinyProductLinks } from "#db/schema";
import { problemFields, registerUser } from "./support/api";
import { api, sandbox, sandboxProducts, seedAccount, seedListings, testServices, tinyUrl } from "./support/tiny";

interface PushDto {
  id: string;
  status: string;
  inProgress: boolean;
  mlOrderId: number;
  tinyOrderId: number | null;
  tinyOrderNumber: string | null;
  markersAdded: boolean;
  tinyCalls: number;
  failureReasons: Array<{ code: string; mlItemId?: string }>;
  tiny?: { id: number; situacao: number; status: string } | null;
  invoice: { id: number | null; key: string | null; situation: number | null; error: string | null } | null;
  stock: { postedAt: string | null; returnedAt: string | null };
  receivables: { postedAt: string | null; reversedAt: string | null };
  cancelledInTinyAt: string | null;
}

interface PushListDto {
  items: PushDto[];
  pagination: { limit: number; offset: number; total: number };
}

/** A seller with a Tiny account (ML channel set), listings linked to SKU-1/SKU-2, and one paid ML order of both. */
async function seller(options: { linkSecond?: boolean } = {}) {
  const user = await registerUser();
  const services = testServices();
  const account = await seedAccount(services, user.user.id);
  const info = await sandbox<{ lookups: { ecommerces: Array<{ id: number }> } }>("/_sandbox");
  await setMlEcommerceChannel(services.db, account.id, info.lookups.ecommerces[0]!.id);
  const listings = await seedListings(services, user.user.id);
  const products = await sandboxProducts();
  await services.db.insert(tinyProductLinks).values({ userId: user.user.id, tinyAccountId: account.id, mlItemId: listings.simple, tinyProductId: products.get("SKU-1")!, source: "manual" });
  if (options.linkSecond !== false) {
    await services.db.insert(tinyProductLinks).values({
      userId: user.user.id,
      tinyAccountId: account.id,
      mlItemId: listings.withVariations,
      mlVariationId: listings.variationIds[0]!,
      tinyProductId: products.get("SKU-2")!,
      source: "manual",
    });
  }
  const mlOrderId = 3_000_000_000_000 + Math.floor(Math.random() * 1e12);
  const now = new Date();
  const buyerId = 100_000_000 + Math.floor(Math.random() * 1e8);
  const [order] = await services.db
    .insert(mlOrders)
    .values({
      accountId: listings.mlAccountId,
      mlOrderId,
      status: "paid",
      buyerId,
      buyer: { id: buyerId, nickname: "COMPRADOR", firstName: "Ana", lastName: "Souza" },
      mlDateCreated: now,
      mlLastUpdated: now,
      fetchedAt: now,
    })
    .returning({ id: mlOrders.id });
  await services.db.insert(mlOrderItems).values([
    { orderId: order!.id, position: 0, mlItemId: listings.simple, sellerSku: "SKU-1", quantity: 1, unitPrice: "30.00" },
    { orderId: order!.id, position: 1, mlItemId: listings.withVariations, mlVariationId: listings.variationIds[0]!, sellerSku: "SKU-2", quantity: 2, unitPrice: "45.50" },
  ]);
  return { user, account, mlOrderId, listings };
}

async function tinyOrdersWithNumber(numero: number): Promise<Array<{ id: number; situacao: number }>> {
  const minted = await sandbox<{ access_token: string }>("/_sandbox/oauth/token", { json: {} });
  const response = await fetch(`${tinyUrl()}/public-api/v3/pedidos?numeroPedidoEcommerce=${numero}`, { headers: { authorization: `Bearer ${minted.access_token}` } });
  return ((await response.json()) as { itens: Array<{ id: number; situacao: number }> }).itens;
}

describe.sequential("POST /tinyerp/orders and GET /tinyerp/orders/{id}", () => {
  it("pushes an ML order once: the record, Tiny's live status, and a repeat that changes nothing", async () => {
    const { user, mlOrderId } = await seller();
    const pushed = await api<PushDto>("/tinyerp/orders", { method: "POST", token: user.accessToken, json: { mlOrderId } });
    expect(pushed.status).toBe(200);
    expect(pushed.body).toMatchObject({ status: "created", inProgress: false, mlOrderId, markersAdded: true, failureReasons: [], invoice: null, cancelledInTinyAt: null });
    // Look for the order, find + create contact, create order, markers, then the paid sale's stock and receivables.
    expect(pushed.body.tinyCalls).toBe(7);
    expect(pushed.body.stock.postedAt).not.toBeNull();
    expect(pushed.body.receivables.postedAt).not.toBeNull();
    const inTiny = await tinyOrdersWithNumber(mlOrderId);
    expect(inTiny.map((o) => o.id)).toEqual([pushed.body.tinyOrderId]);

    const again = await api<PushDto>("/tinyerp/orders", { method: "POST", token: user.accessToken, json: { mlOrderId } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: pushed.body.id, tinyOrderId: pushed.body.tinyOrderId, tinyCalls: 7 });
    expect(await tinyOrdersWithNumber(mlOrderId)).toHaveLength(1);

    const view = await api<PushDto>(`/tinyerp/orders/${pushed.body.id}`, { token: user.accessToken });
    expect(view.status).toBe(200);
    expect(view.body.tiny).toMatchObject({ id: pushed.body.tinyOrderId, situacao: 0, status: "aberto" });
  });

  it("an unlinked variation fails the push with the item listed and no Tiny order", async () => {
    const { user, mlOrderId, listings } = await seller({ linkSecond: false });
    const pushed = await api<PushDto>("/tinyerp/orders", { method: "POST", token: user.accessToken, json: { mlOrderId } });
    expect(pushed.status).toBe(200);
    expect(pushed.body.status).toBe("failed");
    expect(pushed.body.failureReasons).toEqual([expect.objectContaining({ code: "unlinked_item", mlItemId: listings.withVariations })]);
    expect(await tinyOrdersWithNumber(mlOrderId)).toHaveLength(0);
  });

  it("tenant isolation: another user's ML order and push read as missing", async () => {
    const owner = await seller();
    const stranger = await registerUser();
    await seedAccount(testServices(), stranger.user.id);
    const pushed = await api<PushDto>("/tinyerp/orders", { method: "POST", token: owner.user.accessToken, json: { mlOrderId: owner.mlOrderId } });
    expect(pushed.status).toBe(200);

    const theirs = await api("/tinyerp/orders", { method: "POST", token: stranger.accessToken, json: { mlOrderId: owner.mlOrderId } });
    expect(theirs.status).toBe(404);
    const theirsWithAccount = await api("/tinyerp/orders", { method: "POST", token: stranger.accessToken, json: { mlOrderId: owner.mlOrderId, accountId: owner.account.id } });
    expect(theirsWithAccount.status).toBe(404);
    const read = await api(`/tinyerp/orders/${pushed.body.id}`, { token: stranger.accessToken });
    expect(read.status).toBe(404);
    expect(await tinyOrdersWithNumber(owner.mlOrderId)).toHaveLength(1);
  });

  it("validation and authentication", async () => {
    const { user } = await seller();
    const bad = await api("/tinyerp/orders", { method: "POST", token: user.accessToken, json: { mlOrderId: "abc" } });
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body)).toContain("body.mlOrderId");
    const anonymous = await api("/tinyerp/orders", { method: "POST", json: { mlOrderId: 1 } });
    expect(anonymous.status).toBe(401);
    expect((await api("/tinyerp/orders/0190a0a0-0000-7000-8000-000000000000")).status).toBe(401);
    const missing = await api("/tinyerp/orders/0190a0a0-0000-7000-8000-000000000000", { token: user.accessToken });
    expect(missing.status).toBe(404);
    // With two companies the account must be named, and the error points at the body field it belongs to.
    await seedAccount(testServices(), user.user.id);
    const ambiguous = await api("/tinyerp/orders", { method: "POST", token: user.accessToken, json: { mlOrderId: 1 } });
    expect(ambiguous.status).toBe(400);
    expect(problemFields(ambiguous.body)).toEqual(["body.accountId"]);
  });
  it("the seller sets the account's Mercado Livre channel; without one a push refuses rather than risk a duplicate", async () => {
    const { user, account, mlOrderId } = await seller();
    const path = `/tinyerp/accounts/${account.id}/ml-channel`;
    expect((await api(path, { method: "PUT", json: { channelId: 1 } })).status).toBe(401);
    const bad = await api(path, { method: "PUT", token: user.accessToken, json: { channelId: 0 } });
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body)).toEqual(["body.channelId"]);
    const other = await registerUser();
    expect((await api(path, { method: "PUT", token: other.accessToken, json: { channelId: 1 } })).status).toBe(404);

    const cleared = await api<{ accountId: string; mlEcommerceChannelId: number | null }>(path, { method: "PUT", token: user.accessToken, json: { channelId: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toEqual({ accountId: account.id, mlEcommerceChannelId: null });
    const refused = await api<PushDto>("/tinyerp/orders", { method: "POST", token: user.accessToken, json: { mlOrderId } });
    expect(refused.body.status).toBe("failed");
    expect(refused.body.failureReasons).toEqual([expect.objectContaining({ code: "no_ml_channel" })]);
    expect(await tinyOrdersWithNumber(mlOrderId)).toHaveLength(0);

    const info = await sandbox<{ lookups: { ecommerces: Array<{ id: number }> } }>("/_sandbox");
    const channelId = info.lookups.ecommerces[0]!.id;
    const set = await api<{ mlEcommerceChannelId: number }>(path, { method: "PUT", token: user.accessToken, json: { channelId } });
    expect(set.body.mlEcommerceChannelId).toBe(channelId);
    const pushed = await api<PushDto>("/tinyerp/orders", { method: "POST", token: user.accessToken, json: { mlOrderId } });
    expect(pushed.body.status).toBe("created");
    expect(await tinyOrdersWithNumber(mlOrderId)).toHaveLength(1);
  });

  it("the error list and resend: a failed push is listed with its reason, fixed, resent once, and leaves the list", async () => {
    const { user, account, mlOrderId, listings } = await seller({ linkSecond: false });
    const failed = await api<PushDto>("/tinyerp/orders", { method: "POST", token: user.accessToken, json: { mlOrderId } });
    expect(failed.body.status).toBe("failed");

    const errors = await api<PushListDto>("/tinyerp/orders?needsAttention=true", { token: user.accessToken });
    expect(errors.status).toBe(200);
    expect(errors.body.items.map((p) => p.id)).toEqual([failed.body.id]);
    expect(errors.body.items[0]!.failureReasons).toEqual([expect.objectContaining({ code: "unlinked_item", mlItemId: listings.withVariations })]);
    expect(errors.body.pagination).toEqual({ limit: 50, offset: 0, total: 1 });

    const services = testServices();
    const products = await sandboxProducts();
    await services.db.insert(tinyProductLinks).values({
      userId: user.user.id,
      tinyAccountId: account.id,
      mlItemId: listings.withVariations,
      mlVariationId: listings.variationIds[0]!,
      tinyProductId: products.get("SKU-2")!,
      source: "manual",
    });
    const resent = await api<PushDto>(`/tinyerp/orders/${failed.body.id}/resend`, { method: "POST", token: user.accessToken });
    expect(resent.status).toBe(200);
    expect(resent.body).toMatchObject({ id: failed.body.id, status: "created", failureReasons: [] });
    const again = await api<PushDto>(`/tinyerp/orders/${failed.body.id}/resend`, { method: "POST", token: user.accessToken });
    expect(again.body.tinyOrderId).toBe(resent.body.tinyOrderId);
    expect(await tinyOrdersWithNumber(mlOrderId)).toHaveLength(1);

    expect((await api<PushListDto>("/tinyerp/orders?needsAttention=true", { token: user.accessToken })).body.items).toEqual([]);
    const all = await api<PushListDto>(`/tinyerp/orders?status=created&accountId=${account.id}`, { token: user.accessToken });
    expect(all.body.items.map((p) => p.id)).toEqual([failed.body.id]);
  });

  it("a refused invoice is on the error list with Tiny's reason; resend emits it", async () => {
    const { user, account, mlOrderId } = await seller();
    await testServices().db.update(tinyAccounts).set({ invoiceOnPaid: true }).where(eq(tinyAccounts.id, account.id));
    await sandbox("/_sandbox/faults", {
      json: { rule: { match: { method: "POST", path: "/public-api/v3/notas/*/emitir" }, extra: { sefazRejeicao: "Rejeição 225: Falha no Schema XML" }, times: 1 } },
    });
    const pushed = await api<PushDto>("/tinyerp/orders", { method: "POST", token: user.accessToken, json: { mlOrderId } });
    expect(pushed.body.status).toBe("created");
    expect(pushed.body.invoice).toMatchObject({ situation: 5, key: null });
    expect(pushed.body.invoice?.error).toContain("Rejeição 225");
    const errors = await api<PushListDto>("/tinyerp/orders?needsAttention=true", { token: user.accessToken });
    expect(errors.body.items.map((p) => p.id)).toEqual([pushed.body.id]);

    const resent = await api<PushDto>(`/tinyerp/orders/${pushed.body.id}/resend`, { method: "POST", token: user.accessToken });
    expect(resent.body.invoice).toMatchObject({ situation: 6, error: null });
    expect(resent.body.invoice?.key).toMatch(/^\d{44}$/);
    expect((await api<PushListDto>("/tinyerp/orders?needsAttention=true", { token: user.accessToken })).body.items).toEqual([]);
  });

  it("list and resend: authentication, validation and tenant isolation", async () => {
    const owner = await seller({ linkSecond: false });
    const failed = await api<PushDto>("/tinyerp/orders", { method: "POST", token: owner.user.accessToken, json: { mlOrderId: owner.mlOrderId } });
    const stranger = await registerUser();
    await seedAccount(testServices(), stranger.user.id);

    expect((await api("/tinyerp/orders")).status).toBe(401);
    expect((await api(`/tinyerp/orders/${failed.body.id}/resend`, { method: "POST" })).status).toBe(401);
    const bad = await api("/tinyerp/orders?status=lost&needsAttention=maybe&limit=0", { token: owner.user.accessToken });
    expect(bad.status).toBe(400);
    expect(problemFields(bad.body).sort()).toEqual(["query.limit", "query.needsAttention", "query.status"]);
    expect((await api("/tinyerp/orders/not-a-uuid/resend", { method: "POST", token: owner.user.accessToken })).status).toBe(400);

    expect((await api<PushListDto>("/tinyerp/orders", { token: stranger.accessToken })).body.items).toEqual([]);
    expect((await api(`/tinyerp/orders?accountId=${owner.account.id}`, { token: stranger.accessToken })).status).toBe(404);
    const theirs = await api(`/tinyerp/orders/${failed.body.id}/resend`, { method: "POST", token: stranger.accessToken });
    expect(theirs.status).toBe(404);
    const unchanged = await api<PushDto>(`/tinyerp/orders/${failed.body.id}`, { token: owner.user.accessToken });
    expect(unchanged.body).toMatchObject({ status: "failed", failureReasons: [expect.objectContaining({ code: "unlinked_item" })] });
  });
});
