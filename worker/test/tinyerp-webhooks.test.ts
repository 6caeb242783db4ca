import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "#core/crypto";
import { AppError } from "#core/errors";
import { uuidv7 } from "#core/ids";
import { jobIdFor } from "#core/jobs/job-id";
import { listTinyAccountEvents } from "#db/queries/tiny";
import { tinyProductLinks } from "#db/schema";
import { readConfig } from "../src/env";
import { buildServices } from "../src/services";
import { requestStockSync } from "../src/services/tinyerp-stock-sync";
import { ingestTinyWebhook } from "../src/services/tinyerp-webhooks";
import { freshIp, problemFields, registerUser, type Session } from "./support/api";
import { published } from "./support/qstash";
import { api, rawAccountRow, seedAccount, setAccountColumns, testServices } from "./support/tiny";

const bindings = env as unknown as Record<string, string>;

const webhooksOf = (accountId: string) => published("tinyerp.webhook", (p) => p.accountId === accountId);
const stockSyncsOf = (accountId: string) => published("tinyerp.stock.sync", (p) => p.accountId === accountId);

async function seller(): Promise<{ user: Session; account: { id: string; cnpj: string } }> {
  const user = await registerUser();
  const account = await seedAccount(testServices(), user.user.id);
  return { user, account };
}

async function makeUrl(user: Session, accountId: string): Promise<{ url: string; path: string; secret: string; createdAt: string }> {
  const made = await api<{ url: string; createdAt: string }>(`/tinyerp/accounts/${accountId}/webhook`, { method: "POST", token: user.accessToken });
  if (made.status !== 201) throw new Error(`webhook url: ${made.status} ${JSON.stringify(made.body)}`);
  const url = new URL(made.body.url);
  return { ...made.body, path: url.pathname, secret: url.pathname.split("/").pop()! };
}

const stockEvent = (cnpj: string, dados: Record<string, unknown> = {}) => ({
  versao: "1.0.1",
  cnpj,
  tipo: "estoque",
  dados: { idProduto: 357281337, sku: "CAM-AZ-M", nome: "Camiseta Azul M", saldo: 8, ...dados },
});

const deliver = (path: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) =>
  api<Record<string, unknown>>(path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers });

interface AccountDto {
  id: string;
  forwardOrders: boolean;
  invoiceOnPaid: boolean;
  webhookConfigured: boolean;
  webhookCreatedAt: string | null;
}

async function listedAccount(user: Session, id: string): Promise<AccountDto> {
  const listed = await api<{ items: AccountDto[] }>("/tinyerp/accounts", { token: user.accessToken });
  const account = listed.body.items.find((a) => a.id === id);
  if (!account) throw new Error(`account ${id} not listed`);
  return account;
}

async function link(userId: string, accountId: string, tinyProductId: number): Promise<void> {
  await testServices()
    .db.insert(tinyProductLinks)
    .values({ userId, tinyAccountId: accountId, mlItemId: `MLB${Math.floor(Math.random() * 1e12)}`, tinyProductId, source: "manual" });
}

describe("Tiny webhook URL: POST/DELETE /tinyerp/accounts/{id}/webhook", () => {
  it("makes a URL shown once, stores only the secret's hash, and lists the account as configured", async () => {
    const { user, account } = await seller();
    const before = await listedAccount(user, account.id);
    expect(before).toMatchObject({ forwardOrders: true, invoiceOnPaid: false, webhookConfigured: false, webhookCreatedAt: null });

    const response = await api<{ url: string; createdAt: string }>(`/tinyerp/accounts/${account.id}/webhook`, { method: "POST", token: user.accessToken });
    expect(response.status).toBe(201);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.body.url).toMatch(/^http:\/\/127\.0\.0\.1:8787\/webhooks\/tinyerp\/[A-Za-z0-9_-]{43}$/);
    const secret = new URL(response.body.url).pathname.split("/").pop()!;

    const row = (await rawAccountRow(testServices(), account.id))!;
    expect(row.webhook_secret_hash).toBe(await sha256Hex(secret));
    expect(JSON.stringify(row)).not.toContain(secret);

    const listed = await api<{ items: AccountDto[] }>("/tinyerp/accounts", { token: user.accessToken });
    expect(listed.body.items[0]).toMatchObject({ id: account.id, webhookConfigured: true, webhookCreatedAt: response.body.createdAt });
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(row.webhook_secret_hash as string);
    const events = await listTinyAccountEvents(testServices().db, account.id);
    expect(events.map((e) => e.type)).toContain("webhook_created");
  });

  it("rotating makes a new URL and the old one answers 404 at once; DELETE revokes it", async () => {
    const { user, account } = await seller();
    const first = await makeUrl(user, account.id);
    expect((await deliver(first.path, stockEvent(account.cnpj))).status).toBe(200);

    const second = await makeUrl(user, account.id);
    expect(second.secret).not.toBe(first.secret);
    const old = await deliver(first.path, stockEvent(account.cnpj));
    expect(old.status).toBe(404);
    expect(old.headers.get("content-type")).toBe("application/problem+json");
    expect((await api(first.path)).status).toBe(404);
    expect((await deliver(second.path, stockEvent(account.cnpj))).status).toBe(200);
    expect((await listTinyAccountEvents(testServices().db, account.id)).map((e) => e.type)).toContain("webhook_rotated");

    const removed = await api(`/tinyerp/accounts/${account.id}/webhook`, { method: "DELETE", token: user.accessToken });
    expect(removed.status).toBe(204);
    expect((await deliver(second.path, stockEvent(account.cnpj))).status).toBe(404);
    expect(await listedAccount(user, account.id)).toMatchObject({ webhookConfigured: false, webhookCreatedAt: null });
    expect((await rawAccountRow(testServices(), account.id))!.webhook_secret_hash).toBeNull();
    // Revoking twice is still "no URL remains".
    expect((await api(`/tinyerp/accounts/${account.id}/webhook`, { method: "DELETE", token: user.accessToken })).status).toBe(204);
    // Only the two deliveries made while a URL was live were published.
    expect(await webhooksOf(account.id)).toHaveLength(2);
  });

  it("a disconnected account cannot get a URL (409) but can still have one revoked", async () => {
    const { user, account } = await seller();
    await makeUrl(user, account.id);
    expect((await api(`/tinyerp/accounts/${account.id}`, { method: "DELETE", token: user.accessToken })).status).toBe(204);
    const refused = await api<{ code: string }>(`/tinyerp/accounts/${account.id}/webhook`, { method: "POST", token: user.accessToken });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("conflict");
    expect((await api(`/tinyerp/accounts/${account.id}/webhook`, { method: "DELETE", token: user.accessToken })).status).toBe(204);
    expect((await rawAccountRow(testServices(), account.id))!.webhook_secret_hash).toBeNull();
  });
});

describe("PATCH /tinyerp/accounts/{id}/settings", () => {
  it("changes only the fields sent and returns the account", async () => {
    const { user, account } = await seller();
    const off = await api<AccountDto>(`/tinyerp/accounts/${account.id}/settings`, { method: "PATCH", token: user.accessToken, json: { forwardOrders: false } });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: account.id, forwardOrders: false, invoiceOnPaid: false });
    const invoice = await api<AccountDto>(`/tinyerp/accounts/${account.id}/settings`, { method: "PATCH", token: user.accessToken, json: { invoiceOnPaid: true } });
    expect(invoice.body).toMatchObject({ forwardOrders: false, invoiceOnPaid: true });
    expect(await listedAccount(user, account.id)).toMatchObject({ forwardOrders: false, invoiceOnPaid: true });
    expect((await rawAccountRow(testServices(), account.id))!).toMatchObject({ forward_orders: false, invoice_on_paid: true });
  });

  it("refuses bad bodies field by field and writes nothing", async () => {
    const { user, account } = await seller();
    const patch = (json: unknown) => api(`/tinyerp/accounts/${account.id}/settings`, { method: "PATCH", token: user.accessToken, json });

    const empty = await patch({});
    expect(empty.status).toBe(400);
    expect(problemFields(empty.body)).toEqual(["body"]);
    const wrongType = await patch({ forwardOrders: "yes", invoiceOnPaid: 1 });
    expect(wrongType.status).toBe(400);
    expect(problemFields(wrongType.body)).toEqual(["body.forwardOrders", "body.invoiceOnPaid"]);
    const unknown = await patch({ forwardOrders: false, autoInvoice: true });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain("autoInvoice");
    const notJson = await api(`/tinyerp/accounts/${account.id}/settings`, { method: "PATCH", token: user.accessToken, body: "{", headers: { "content-type": "application/json" } });
    expect(notJson.status).toBe(400);
    const badId = await api("/tinyerp/accounts/not-a-uuid/settings", { method: "PATCH", token: user.accessToken, json: { forwardOrders: false } });
    expect(badId.status).toBe(400);
    expect(problemFields(badId.body)).toEqual(["params.id"]);

    expect((await rawAccountRow(testServices(), account.id))!).toMatchObject({ forward_orders: true, invoice_on_paid: false });
  });

  it("is allowed while reauthorization is pending, refused (409) once disconnected", async () => {
    const { user, account } = await seller();
    await setAccountColumns(testServices(), account.id, { status: "reauth_required" });
    const pending = await api<AccountDto>(`/tinyerp/accounts/${account.id}/settings`, { method: "PATCH", token: user.accessToken, json: { forwardOrders: false } });
    expect(pending.status).toBe(200);
    expect(pending.body.forwardOrders).toBe(false);

    expect((await api(`/tinyerp/accounts/${account.id}`, { method: "DELETE", token: user.accessToken })).status).toBe(204);
    const gone = await api(`/tinyerp/accounts/${account.id}/settings`, { method: "PATCH", token: user.accessToken, json: { forwardOrders: true } });
    expect(gone.status).toBe(409);
    expect((await rawAccountRow(testServices(), account.id))!.forward_orders).toBe(false);
  });
});

describe("POST /webhooks/tinyerp/{secret} (edge)", () => {
  it("hands a stock event to QStash as tinyerp.webhook with the account and receive time", async () => {
    const { user, account } = await seller();
    const { path } = await makeUrl(user, account.id);
    const body = stockEvent(account.cnpj);
    const before = Date.now();
    const response = await deliver(path, body);
    const after = Date.now();
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({ status: "accepted" });
    expect(response.headers.get("server-timing")).toMatch(/account;dur=[\d.]+, qstash;dur=[\d.]+/);

    const messages = await webhooksOf(account.id);
    expect(messages.map((m) => m.messageId)).toEqual([response.body.messageId]);
    const payload = messages[0]!.payload;
    expect(payload).toEqual({ accountId: account.id, tipo: "estoque", dados: body.dados, receivedAt: expect.any(Number) });
    expect(payload.receivedAt).toBeGreaterThanOrEqual(before);
    expect(payload.receivedAt).toBeLessThanOrEqual(after);
  });

  it("accepts Tiny's envelope variants: extra keys, a formatted cnpj, a text/plain content type", async () => {
    const { user, account } = await seller();
    const { path } = await makeUrl(user, account.id);
    const c = account.cnpj;
    const formatted = `${c.slice(0, 2)}.${c.slice(2, 5)}.${c.slice(5, 8)}/${c.slice(8, 12)}-${c.slice(12)}`;
    const order = { versao: "1.0.1", cnpj: formatted, tipo: "atualizacao_pedido", idEcommerce: 7, dados: { id: "358126298", codigoSituacao: "aberto" } };
    const answers = [await deliver(path, order), await deliver(path, stockEvent(c), {})];
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const payloads = (await webhooksOf(account.id)).map((m) => m.payload);
    expect(payloads.map((p) => p.tipo)).toEqual(["atualizacao_pedido", "estoque"]);
    expect(payloads[0]!.dados).toEqual(order.dados);
  });

  it("an unknown or malformed secret is a 404 problem", async () => {
    const { account } = await seller();
    for (const path of [`/webhooks/tinyerp/${"A".repeat(43)}`, "/webhooks/tinyerp/short", `/webhooks/tinyerp/${"x".repeat(200)}`]) {
      const response = await deliver(path, stockEvent(account.cnpj));
      expect(response.status, path).toBe(404);
      expect(response.body).toMatchObject({ status: 404, code: "not_found" });
      expect((await api(path)).status, `GET ${path}`).toBe(404);
    }
  });

  it("answers the panel's checks: GET, HEAD and OPTIONS with 200 JSON, an empty or {} POST with 200 and nothing queued", async () => {
    const { user, account } = await seller();
    const { path } = await makeUrl(user, account.id);
    const get = await api<{ status: string }>(path);
    expect(get.status).toBe(200);
    expect(get.body).toEqual({ status: "ok" });
    const head = await api(path, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-type")).toContain("application/json");
    // Even with an Origin, OPTIONS here is the panel's check, not a CORS preflight.
    const options = await api<{ status: string }>(path, { method: "OPTIONS", headers: { origin: "https://erp.tiny.com.br", "access-control-request-method": "POST" } });
    expect(options.status).toBe(200);
    expect(options.body).toEqual({ status: "ok" });
    expect(options.headers.get("allow")).toBe("POST, GET, HEAD, OPTIONS");

    for (const body of ["", "   ", "{}"]) {
      const ping = await deliver(path, body);
      expect(ping.status, JSON.stringify(body)).toBe(200);
      expect(ping.body).toEqual({ status: "ignored", reason: "ping" });
    }
    expect(await webhooksOf(account.id)).toEqual([]);
  });

  it("refuses an event for another company (403) and malformed envelopes (400) field by field, queuing nothing", async () => {
    const { user, account } = await seller();
    const { path } = await makeUrl(user, account.id);
    const other = account.cnpj === "11222333000181" ? "11444777000161" : "11222333000181";

    const foreign = await deliver(path, stockEvent(other));
    expect(foreign.status).toBe(403);
    expect(problemFields(foreign.body)).toEqual(["body.cnpj"]);

    const notJson = await deliver(path, '{"versao":');
    expect(notJson.status).toBe(400);
    expect(problemFields(notJson.body)).toEqual(["body"]);
    const missing = await deliver(path, { cnpj: account.cnpj, dados: {} });
    expect(missing.status).toBe(400);
    expect(problemFields(missing.body).sort()).toEqual(["body.tipo", "body.versao"]);
    const wrongTypes = await deliver(path, { versao: "1.0.1", cnpj: 59573950000158, tipo: "", dados: [1] });
    expect(wrongTypes.status).toBe(400);
    expect(problemFields(wrongTypes.body).sort()).toEqual(["body.cnpj", "body.dados", "body.tipo"]);
    const array = await deliver(path, [stockEvent(account.cnpj)]);
    expect(array.status).toBe(400);
    const tooLarge = await deliver(path, stockEvent(account.cnpj, { padding: "x".repeat(70_000) }));
    expect(tooLarge.status).toBe(413);

    expect(await webhooksOf(account.id)).toEqual([]);
  });

  it("answers 200 but queues nothing for an account awaiting reauthorization or disconnected", async () => {
    const { user, account } = await seller();
    const { path } = await makeUrl(user, account.id);
    await setAccountColumns(testServices(), account.id, { status: "reauth_required" });
    const reauth = await deliver(path, stockEvent(account.cnpj));
    expect(reauth.status).toBe(200);
    expect(reauth.body).toEqual({ status: "ignored", reason: "reauth_required" });

    await setAccountColumns(testServices(), account.id, { status: "active" });
    expect((await api(`/tinyerp/accounts/${account.id}`, { method: "DELETE", token: user.accessToken })).status).toBe(204);
    const gone = await deliver(path, stockEvent(account.cnpj));
    expect(gone.status).toBe(200);
    expect(gone.body).toEqual({ status: "ignored", reason: "disconnected" });
    expect(await webhooksOf(account.id)).toEqual([]);
  });

  it("refuses a flood from one address with 429 and Retry-After before looking the URL up, while other addresses go on", async () => {
    const { user, account } = await seller();
    const { path } = await makeUrl(user, account.id);
    // One bindings object per configuration: the Worker caches its config per object.
    const limited = { ...bindings, WEBHOOK_RATE_LIMIT_PER_MINUTE: "3" };
    const flooder = freshIp();
    const call = (target: string, ip: string, method = "POST") =>
      api(target, { method, ...(method === "POST" ? { body: JSON.stringify(stockEvent(account.cnpj)), headers: { "content-type": "application/json" } } : {}), ip, bindings: limited });
    const forged = `/webhooks/tinyerp/${"A".repeat(43)}`;
    expect((await call(forged, flooder)).status).toBe(404);
    expect((await call(forged, flooder, "GET")).status).toBe(404);
    expect((await call(forged, flooder, "OPTIONS")).status).toBe(404);
    const refused = await call(path, flooder);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await webhooksOf(account.id)).toEqual([]);

    expect((await call(path, freshIp())).status).toBe(200);
    expect(await webhooksOf(account.id)).toHaveLength(1);
  });

  it("answers 503 with Retry-After (so Tiny retries) when QStash does not take the event", async () => {
    const { user, account } = await seller();
    const { secret } = await makeUrl(user, account.id);
    const services = buildServices(readConfig({ ...bindings, QSTASH_URL: "http://127.0.0.1:9" }), "test-qstash-down");
    const error = await ingestTinyWebhook(services, { secret, body: JSON.stringify(stockEvent(account.cnpj)), traceId: "t", clientIp: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(503);
    expect((error as AppError).retryAfterSeconds).toBeGreaterThan(0);
    expect(await webhooksOf(account.id)).toEqual([]);
  });
});

describe("POST /tinyerp/inventory/sync", () => {
  it("queues tinyerp.stock.sync (trigger api) for named linked products, and for every linked product when none is named", async () => {
    const { user, account } = await seller();
    await link(user.user.id, account.id, 9001);
    await link(user.user.id, account.id, 9002);
    await link(user.user.id, account.id, 9002);

    const some = await api<{ jobId: string; products: number }>("/tinyerp/inventory/sync", { method: "POST", token: user.accessToken, json: { accountId: account.id, productIds: [9002, 9002] } });
    expect(some.status, JSON.stringify(some.body)).toBe(202);
    expect(some.body.products).toBe(1);
    // The only active account of the user: it need not be named.
    const all = await api<{ jobId: string; products: number }>("/tinyerp/inventory/sync", { method: "POST", token: user.accessToken, json: {} });
    expect(all.status).toBe(202);
    expect(all.body.products).toBe(2);

    const messages = await stockSyncsOf(account.id);
    expect(messages.map((m) => m.payload)).toEqual([
      { accountId: account.id, productIds: [9002], trigger: "api" },
      { accountId: account.id, trigger: "api" },
    ]);
    // The id the jobs ingress gives a job without an idempotency key: its QStash message id.
    expect(some.body.jobId).toBe(await jobIdFor("tinyerp.stock.sync", `qstash|${messages[0]!.messageId}`));
    expect(all.body.jobId).toBe(await jobIdFor("tinyerp.stock.sync", `qstash|${messages[1]!.messageId}`));
  });

  it("refuses what cannot lead anywhere: no links (422), unlinked products (422 per index), an inactive account (409); nothing queued", async () => {
    const { user, account } = await seller();
    const sync = (json: unknown) => api("/tinyerp/inventory/sync", { method: "POST", token: user.accessToken, json });

    const noLinks = await sync({ accountId: account.id });
    expect(noLinks.status).toBe(422);
    expect(noLinks.body).toMatchObject({ code: "unprocessable" });

    await link(user.user.id, account.id, 9101);
    const unlinked = await sync({ accountId: account.id, productIds: [9101, 9102, 9103] });
    expect(unlinked.status).toBe(422);
    expect(problemFields(unlinked.body)).toEqual(["body.productIds.1", "body.productIds.2"]);

    await setAccountColumns(testServices(), account.id, { status: "reauth_required" });
    expect((await sync({ accountId: account.id })).status).toBe(409);
    await setAccountColumns(testServices(), account.id, { status: "active" });
    expect((await api(`/tinyerp/accounts/${account.id}`, { method: "DELETE", token: user.accessToken })).status).toBe(204);
    expect((await sync({ accountId: account.id })).status).toBe(409);
    // With none active, there is no account to default to.
    expect((await sync({})).status).toBe(404);

    expect(await stockSyncsOf(account.id)).toEqual([]);
  });

  it("validates the body field by field and queues nothing", async () => {
    const { user, account } = await seller();
    await link(user.user.id, account.id, 9201);
    const sync = (json: unknown) => api("/tinyerp/inventory/sync", { method: "POST", token: user.accessToken, json });
    const cases: Array<[unknown, string[]]> = [
      [{ productIds: [] }, ["body.productIds"]],
      [{ productIds: Array.from({ length: 501 }, (_, i) => i + 1) }, ["body.productIds"]],
      [{ productIds: [9201, 0, 1.5, "9201"] }, ["body.productIds.1", "body.productIds.2", "body.productIds.3"]],
      [{ productIds: 9201 }, ["body.productIds"]],
      [{ accountId: "not-a-uuid" }, ["body.accountId"]],
      [{ accountId: account.id, everything: true }, ["body"]],
    ];
    for (const [json, fields] of cases) {
      const response = await sync(json);
      expect(response.status, JSON.stringify(json)).toBe(400);
      expect(problemFields(response.body), JSON.stringify(json)).toEqual(fields);
    }

    const second = await seedAccount(testServices(), user.user.id);
    const ambiguous = await sync({});
    expect(ambiguous.status).toBe(400);
    expect(problemFields(ambiguous.body)).toEqual(["body.accountId"]);
    expect(await stockSyncsOf(account.id)).toEqual([]);
    expect(await stockSyncsOf(second.id)).toEqual([]);
  });

  it("answers 503 when QStash does not take the job", async () => {
    const { user, account } = await seller();
    await link(user.user.id, account.id, 9301);
    const services = buildServices(readConfig({ ...bindings, QSTASH_URL: "http://127.0.0.1:9" }), "test-qstash-down");
    const error = await requestStockSync(services, { userId: user.user.id, sessionId: uuidv7() }, { accountId: account.id }, "t").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(503);
    expect(await stockSyncsOf(account.id)).toEqual([]);
  });
});

describe("authentication and tenant isolation", () => {
  it("every new endpoint wants a valid session", async () => {
    const { account } = await seller();
    const routes = [
      ["POST", `/tinyerp/accounts/${account.id}/webhook`, undefined],
      ["DELETE", `/tinyerp/accounts/${account.id}/webhook`, undefined],
      ["PATCH", `/tinyerp/accounts/${account.id}/settings`, { forwardOrders: false }],
      ["POST", "/tinyerp/inventory/sync", { accountId: account.id }],
    ] as const;
    for (const [method, path, json] of routes) {
      expect((await api(path, { method, json })).status, `${method} ${path}`).toBe(401);
      const bad = await api(path, { method, json, token: "not.a.token" });
      expect(bad.status, `${method} ${path} bad token`).toBe(401);
      expect(bad.headers.get("www-authenticate")).toContain("Bearer");
    }
    expect((await rawAccountRow(testServices(), account.id))!).toMatchObject({ forward_orders: true, webhook_secret_hash: null });
  });

  it("another user's account id is a 404 everywhere: no URL made or revoked, no setting changed, no sync queued", async () => {
    const { user: owner, account } = await seller();
    await link(owner.user.id, account.id, 9401);
    const { path } = await makeUrl(owner, account.id);
    const stranger = await seller();
    const t = stranger.user.accessToken;

    expect((await api(`/tinyerp/accounts/${account.id}/webhook`, { method: "POST", token: t })).status).toBe(404);
    expect((await api(`/tinyerp/accounts/${account.id}/webhook`, { method: "DELETE", token: t })).status).toBe(404);
    expect((await api(`/tinyerp/accounts/${account.id}/settings`, { method: "PATCH", token: t, json: { forwardOrders: false } })).status).toBe(404);
    expect((await api("/tinyerp/inventory/sync", { method: "POST", token: t, json: { accountId: account.id } })).status).toBe(404);
    expect((await api("/tinyerp/inventory/sync", { method: "POST", token: t, json: { accountId: account.id, productIds: [9401] } })).status).toBe(404);

    // The owner's URL still works and their settings are as they were.
    expect((await deliver(path, stockEvent(account.cnpj))).status).toBe(200);
    expect(await listedAccount(owner, account.id)).toMatchObject({ forwardOrders: true, webhookConfigured: true });
    expect(await stockSyncsOf(account.id)).toEqual([]);
    // Nor can one company's URL carry another's events.
    expect((await deliver(path, stockEvent(stranger.account.cnpj))).status).toBe(403);
    expect(await webhooksOf(stranger.account.id)).toEqual([]);
  });
});

it("documents every new route and the webhook envelope in the OpenAPI document", async () => {
  const doc = await api<{ paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } }>("/openapi.json");
  expect(Object.keys(doc.body.paths["/webhooks/tinyerp/{secret}"]!).sort()).toEqual(["get", "options", "post"]);
  expect(doc.body.paths["/tinyerp/accounts/{id}/webhook"]).toHaveProperty(["post"]);
  expect(doc.body.paths["/tinyerp/accounts/{id}/webhook"]).toHaveProperty(["delete"]);
  expect(doc.body.paths["/tinyerp/accounts/{id}/settings"]).toHaveProperty(["patch"]);
  expect(doc.body.paths["/tinyerp/inventory/sync"]).toHaveProperty(["post"]);
  expect(doc.body.components.schemas).toHaveProperty(["TinyWebhookEnvelope"]);
  expect(doc.body.components.schemas.TinyAccount).toMatchObject({ properties: { webhookConfigured: { type: "boolean" }, forwardOrders: { type: "boolean" } } });
});
