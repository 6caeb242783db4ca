import { env } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { inject } from "vitest";
import { mlListings, mlQuestions, mlShipments, webhookEvents } from "#db/schema";
import { api, type ApiResponse } from "../support/api";
import { sandbox as mlSandbox } from "../support/ml";
import { published } from "../support/qstash";
import { mlOrder, push, seller, type Seller } from "../support/tiny-pushes";

const bindings = env as unknown as Record<string, string>;

/**
 * The test stack with the request limits out of reach: these suites send hundreds of requests per
 * user and minute, and a 429 would hide what the route does with the input (the limits have their
 * own tests). One object, since the Worker caches its configuration per bindings object.
 */
export const unlimited: Record<string, string> = {
  ...bindings,
  API_RATE_LIMIT_PER_MINUTE: "1000000",
  API_PROVIDER_RATE_LIMIT_PER_MINUTE: "1000000",
  WEBHOOK_RATE_LIMIT_PER_MINUTE: "1000000",
  LOGIN_RATE_LIMIT_PER_EMAIL: "1000000",
  LOGIN_RATE_LIMIT_PER_IP: "1000000",
  LOGIN_RATE_LIMIT_PER_ACCOUNT: "1000000",
  PASSWORD_CHECK_RATE_LIMIT: "1000000",
};

// ---------------------------------------------------------------------------------------------
// The operations, as the Worker publishes them.

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
}

export interface Operation {
  /** "METHOD /path/{template}": how allowlists and the id map name an operation. */
  key: string;
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  hasBody: boolean;
  bearer: boolean;
}

export async function loadOperations(): Promise<Operation[]> {
  const doc = await api<{ paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: unknown; security?: Array<Record<string, unknown>> }>> }>("/openapi.json");
  if (doc.status !== 200) throw new Error(`/openapi.json answered ${doc.status}`);
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.body.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const parameters = op.parameters ?? [];
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === "path").map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === "query").map((p) => p.name),
        hasBody: op.requestBody !== undefined,
        bearer: (op.security ?? []).some((requirement) => "bearerAuth" in requirement),
      });
    }
  }
  return operations;
}

export function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for {${name}} in ${template}`);
    // A lone surrogate cannot be put in a URL at all; a client would send U+FFFD in its place.
    return encodeURIComponent([...values[name]!].map((char) => (/^[\ud800-\udfff]$/.test(char) ? "\ufffd" : char)).join(""));
  });
}

// ---------------------------------------------------------------------------------------------
// A tenant: a user owning one of every resource the routes take an id of.

export interface Tenant {
  seller: Seller;
  mlUserId: number;
  listing: { id: string; mlItemId: string };
  order: { id: string; mlOrderId: number; buyerId: number };
  orderPushId: string;
  question: { mlQuestionId: number };
  shipment: { mlShipmentId: number };
  mlSyncRunId: string;
  productSyncRunId: string;
  failedEventId: string;
  tinyWebhookSecret: string;
  tinyProductId: number;
  cnpj: string;
}

function ok<T>(what: string, response: ApiResponse<T>, status: number): T {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** A question a buyer asks on a live item of the account's seller: answering it reaches the ML sandbox for real. */
async function sandboxQuestion(s: Seller, accountId: string, mlUserId: number): Promise<number> {
  const item = await mlSandbox<{ id: string }>("/_sandbox/items", { json: { seller_id: mlUserId, title: "Camiseta azul" } });
  const asked = await mlSandbox<{ id: number }>("/_sandbox/questions", { json: { item_id: item.id, text: "Tem em azul?" } });
  const now = new Date();
  await s.services.db.insert(mlQuestions).values({ accountId, mlQuestionId: asked.id, mlItemId: item.id, status: "UNANSWERED", text: "Tem em azul?", mlLastUpdated: now, fetchedAt: now });
  return asked.id;
}

export async function tenant(): Promise<Tenant> {
  const s = await seller();
  const { db } = s.services;
  const token = s.user.accessToken;
  const now = new Date();
  const [account] = (await db.execute(sql`select ml_user_id from ml_accounts where id = ${s.mlAccountId}`)).rows as Array<{ ml_user_id: string }>;

  const mlItemId = `MLB${Math.floor(1e9 + Math.random() * 8e9)}`;
  const [listing] = await db
    .insert(mlListings)
    .values({ accountId: s.mlAccountId, mlItemId, title: "Camiseta", status: "active", sellerSku: "SKU-1", mlLastUpdated: now, fetchedAt: now })
    .returning({ id: mlListings.id });

  const sale = await mlOrder(s);
  const [order] = (await db.execute(sql`select id from ml_orders where ml_order_id = ${sale.mlOrderId}`)).rows as Array<{ id: string }>;
  const pushed = await push(s, sale.mlOrderId);
  const [tiny] = (await db.execute(sql`select cnpj from tiny_accounts where id = ${s.tinyAccountId}`)).rows as Array<{ cnpj: string }>;
  const [link] = (await db.execute(sql`select tiny_product_id from tiny_product_links where tiny_account_id = ${s.tinyAccountId} limit 1`)).rows as Array<{ tiny_product_id: string }>;

  const mlShipmentId = 46_000_000_000 + Math.floor(Math.random() * 1e9);
  await db.insert(mlShipments).values({ accountId: s.mlAccountId, mlShipmentId, status: "shipped", mlLastUpdated: now, fetchedAt: now });
  const mlQuestionId = await sandboxQuestion(s, s.mlAccountId, Number(account!.ml_user_id));

  const syncRun = await ok("ml sync", await api<{ run: { id: string } }>(`/ml/accounts/${s.mlAccountId}/sync`, { method: "POST", token, json: { kind: "listings" } }), 202);
  const productRun = await ok("product sync", await api<{ run: { id: string } }>("/tinyerp/products/sync", { method: "POST", token, json: { accountId: s.tinyAccountId } }), 202);
  const webhook = await ok("webhook url", await api<{ url: string }>(`/tinyerp/accounts/${s.tinyAccountId}/webhook`, { method: "POST", token }), 201);

  const [event] = await db
    .insert(webhookEvents)
    .values({
      notificationKey: `id|${crypto.randomUUID()}`,
      mlNotificationId: crypto.randomUUID(),
      accountId: s.mlAccountId,
      userId: s.user.user.id,
      mlUserId: Number(account!.ml_user_id),
      topic: "orders_v2",
      resource: `/orders/${sale.mlOrderId}`,
      status: "failed",
      outcome: null,
      attempts: 5,
      failedAt: now,
    })
    .returning({ id: webhookEvents.id });

  return {
    seller: s,
    mlUserId: Number(account!.ml_user_id),
    listing: { id: listing!.id, mlItemId },
    order: { id: order!.id, mlOrderId: sale.mlOrderId, buyerId: sale.buyerId },
    orderPushId: pushed.id,
    question: { mlQuestionId },
    shipment: { mlShipmentId },
    mlSyncRunId: syncRun.run.id,
    productSyncRunId: productRun.run.id,
    failedEventId: event!.id,
    tinyWebhookSecret: new URL(webhook.url).pathname.split("/").pop()!,
    tinyProductId: Number(link!.tiny_product_id),
    cnpj: tiny!.cnpj,
  };
}

/**
 * Every id a route takes in its path, by "path template {param}": the real ids of the tenant,
 * in each form the route accepts. A route missing here fails the suite, so none is skipped.
 */
export function pathIds(t: Tenant): Record<string, string[]> {
  const s = t.seller;
  return {
    "/users/{id} id": [s.user.user.id],
    "/webhooks/events/{id}/replay id": [t.failedEventId],
    "/webhooks/tinyerp/{secret} secret": [t.tinyWebhookSecret],
    "/ml/accounts/{id}/events id": [s.mlAccountId],
    "/ml/accounts/{id} id": [s.mlAccountId],
    "/ml/accounts/{id}/refresh id": [s.mlAccountId],
    "/ml/accounts/{id}/sync id": [s.mlAccountId],
    "/ml/sync/runs/{id} id": [t.mlSyncRunId],
    "/ml/listings/{id} id": [t.listing.id, t.listing.mlItemId],
    "/ml/orders/{id} id": [t.order.id, String(t.order.mlOrderId)],
    "/ml/questions/{id}/answer id": [String(t.question.mlQuestionId)],
    "/ml/shipments/{id} id": [String(t.shipment.mlShipmentId)],
    "/ml/shipments/{id}/label id": [String(t.shipment.mlShipmentId)],
    "/tinyerp/accounts/{id}/events id": [s.tinyAccountId],
    "/tinyerp/accounts/{id} id": [s.tinyAccountId],
    "/tinyerp/products/sync/runs/{id} id": [t.productSyncRunId],
    "/tinyerp/orders/{id}/resend id": [t.orderPushId],
    "/tinyerp/orders/{id} id": [t.orderPushId],
    "/tinyerp/accounts/{id}/ml-channel id": [s.tinyAccountId],
    "/tinyerp/accounts/{id}/settings id": [s.tinyAccountId],
    "/tinyerp/accounts/{id}/webhook id": [s.tinyAccountId],
    "/tinyerp/orders/{id}/shipping-label id": [t.orderPushId],
    "/tinyerp/customers/ml/{buyerId} buyerId": [String(t.order.buyerId)],
    "/tinyerp/orders/{id}/receivables id": [t.orderPushId],
  };
}

/** Query parameters that name one of the user's resources. */
export function queryIds(t: Tenant): Record<string, string> {
  return { account: t.seller.mlAccountId, accountId: t.seller.tinyAccountId };
}

/** A valid body for each operation that takes one, naming the tenant's own resources. */
export function validBodies(t: Tenant): Record<string, unknown> {
  const s = t.seller;
  return {
    "POST /auth/register": { email: `fuzz-${crypto.randomUUID()}@example.com`, password: "correct horse battery", name: "Fuzz" },
    "POST /auth/login": { email: s.user.user.email, password: "not the password at all" },
    // Never the tenant's real refresh token: rotating it would end the session under test.
    "POST /auth/refresh": { refreshToken: "f".repeat(43) },
    "PUT /users/{id}": { name: "Renamed" },
    "DELETE /users/{id}": { currentPassword: s.user.password },
    // Well-formed grants that were never issued: completing a connection needs the provider's consent page.
    "POST /ml/auth/complete": { grant: "g".repeat(43) },
    "POST /tinyerp/auth/complete": { grant: "g".repeat(43) },
    "POST /webhooks/ml": {
      _id: crypto.randomUUID(),
      resource: `/orders/${t.order.mlOrderId}`,
      user_id: t.mlUserId,
      topic: "orders_v2",
      application_id: Number(bindings.ML_APP_ID),
      attempts: 1,
      sent: new Date().toISOString(),
    },
    "POST /webhooks/tinyerp/{secret}": { versao: "1.0.1", cnpj: t.cnpj, tipo: "estoque", dados: { idProduto: t.tinyProductId, sku: "SKU-1", nome: "x", saldo: 1 } },
    "POST /ml/accounts/{id}/sync": { kind: "listings" },
    "POST /ml/questions/{id}/answer": { text: "Temos sim." },
    "POST /tinyerp/products/sync": { accountId: s.tinyAccountId },
    "PUT /tinyerp/product-links": { links: [{ mlItemId: t.listing.mlItemId, tinyAccountId: s.tinyAccountId, tinyProductId: t.tinyProductId }] },
    "POST /tinyerp/orders": { mlOrderId: t.order.mlOrderId, accountId: s.tinyAccountId },
    "PUT /tinyerp/accounts/{id}/ml-channel": { channelId: 1 },
    "PATCH /tinyerp/accounts/{id}/settings": { forwardOrders: true },
    "POST /tinyerp/inventory/sync": { accountId: s.tinyAccountId },
    "POST /tinyerp/customers/sync": { buyerId: t.order.buyerId, accountId: s.tinyAccountId },
  };
}

/** Every id of the tenant, as it may appear in a queued job's payload. */
export function tenantMarks(t: Tenant): string[] {
  const s = t.seller;
  return [s.user.user.id, s.mlAccountId, s.tinyAccountId, String(t.mlUserId)];
}

// ---------------------------------------------------------------------------------------------
// What a user owns, and whether it changed.

type Db = Seller["services"]["db"];
interface ForeignKey {
  child: string;
  column: string;
  parent: string;
  parentColumn: string;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * One query that fingerprints, per table, the rows a user owns: a row is the user's when a chain
 * of foreign keys leads from it to the user's row. Derived from the catalog, so a new table is
 * covered without a change here.
 */
async function ownershipQuery(db: Db): Promise<string> {
  const fks = (
    await db.execute(sql`
      select c.conrelid::regclass::text as child, a.attname as "column", c.confrelid::regclass::text as parent, pa.attname as "parentColumn"
      from pg_constraint c
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
      join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
      where c.contype = 'f' and c.connamespace = 'public'::regnamespace and cardinality(c.conkey) = 1`)
  ).rows as unknown as ForeignKey[];
  const tables = ((await db.execute(sql`select tablename from pg_tables where schemaname = 'public'`)).rows as Array<{ tablename: string }>).map((r) => r.tablename);

  let aliases = 0;
  const owned = (table: string, alias: string, seen: Set<string>): string | null => {
    if (table === "users") return `${alias}.id = $1`;
    const paths = fks
      .filter((fk) => fk.child === table && !seen.has(fk.parent))
      .map((fk) => {
        const parentAlias = `t${++aliases}`;
        const condition = owned(fk.parent, parentAlias, new Set([...seen, table]));
        return condition && `exists (select 1 from ${ident(fk.parent)} ${parentAlias} where ${parentAlias}.${ident(fk.parentColumn)} = ${alias}.${ident(fk.column)} and ${condition})`;
      })
      .filter((condition): condition is string => condition !== null);
    return paths.length ? `(${paths.join(" or ")})` : null;
  };

  const parts = tables.map((table) => {
    // A table with no path to users is fingerprinted whole (today there is none).
    const condition = owned(table, "r", new Set()) ?? "true";
    return `select '${table}' as t, count(*)::int as n, md5(coalesce(string_agg(r::text, '|' order by r::text), '')) as h from ${ident(table)} r where ${condition}`;
  });
  return parts.join(" union all ");
}

type Fingerprint = Map<string, string>;

async function fingerprint(db: Db, query: string, userId: string): Promise<Fingerprint> {
  if (!/^[0-9a-f-]{36}$/.test(userId)) throw new Error(`not a user id: ${userId}`);
  const rows = (await db.execute(sql.raw(query.replaceAll("$1", `'${userId}'::uuid`)))).rows as Array<{ t: string; n: number; h: string }>;
  return new Map(rows.map((r) => [r.t, `${r.n}:${r.h}`]));
}

function changedTables(before: Fingerprint, after: Fingerprint): string[] {
  return [...after.keys()].filter((table) => before.get(table) !== after.get(table));
}

/**
 * A user's rows, watched across requests. Postgres gives a transaction an id only when it writes,
 * so while the next id to be given out stays the same nothing was written anywhere, and the
 * fingerprint (one query over every table) is skipped.
 */
export class RowWatch {
  private nextXid = "";
  private rows: Fingerprint = new Map();

  private constructor(
    private readonly db: Db,
    private readonly query: string,
    private readonly userId: string,
  ) {}

  static async start(db: Db, userId: string): Promise<RowWatch> {
    const watch = new RowWatch(db, await ownershipQuery(db), userId);
    await watch.accept();
    return watch;
  }

  private async xid(): Promise<string> {
    const [row] = (await this.db.execute(sql`select pg_snapshot_xmax(pg_current_snapshot())::text as x`)).rows as Array<{ x: string }>;
    return row!.x;
  }

  /** Tables whose rows of the user differ from the accepted state. */
  async changed(): Promise<string[]> {
    const xid = await this.xid();
    if (xid === this.nextXid) return [];
    const rows = await fingerprint(this.db, this.query, this.userId);
    const changed = changedTables(this.rows, rows);
    // Someone else's write moved the counter: remember it, so the next check is cheap again.
    if (changed.length === 0) this.nextXid = xid;
    return changed;
  }

  /** The current state becomes the one to compare with (after a request that may write). */
  async accept(): Promise<void> {
    const xid = await this.xid();
    if (xid === this.nextXid) return;
    this.rows = await fingerprint(this.db, this.query, this.userId);
    this.nextXid = xid;
  }
}

// ---------------------------------------------------------------------------------------------
// What reached QStash.

const qstashAuth = () => ({ authorization: `Bearer ${bindings.QSTASH_TOKEN}` });

/** Ids of the newest messages QStash accepted, newest first. */
export async function recentMessages(): Promise<Array<{ messageId: string; url: string }>> {
  const response = await fetch(`${inject("stackUrls").qstash}/v2/events?state=CREATED&count=1000`, { headers: qstashAuth() });
  return ((await response.json()) as { events: Array<{ messageId: string; url: string }> }).events;
}

/**
 * Messages accepted since `before` whose payload names any of `marks`. Other test files publish
 * to the same QStash concurrently, so only messages about this tenant count.
 */
export async function publishedSince(before: Set<string>, marks: string[]): Promise<string[]> {
  const fresh = (await recentMessages()).filter((m) => !before.has(m.messageId));
  if (fresh.length === 0) return [];
  const ids = new Set(fresh.map((m) => m.messageId));
  const prefix = `${bindings.JOBS_PUBLIC_URL}/qstash/`;
  const jobs = new Set(fresh.map((m) => m.url.slice(prefix.length)));
  const hits: string[] = [];
  for (const job of jobs) {
    const mentioning = await published(job, (payload) => marks.some((mark) => JSON.stringify(payload).includes(mark)));
    hits.push(...mentioning.filter((m) => ids.has(m.messageId)).map((m) => `${job} ${m.messageId}`));
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------

/** What keeps an answer from being RFC 9457 problem+json, or null when it is one. */
export function notProblemJson(response: ApiResponse): string | null {
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("application/problem+json")) return `content-type ${type || "(none)"}, not application/problem+json`;
  const body = response.body as { type?: unknown; title?: unknown; status?: unknown };
  if (typeof body !== "object" || body === null) return "body is not a JSON object";
  if (typeof body.type !== "string" || typeof body.title !== "string") return "type or title missing";
  if (body.status !== response.status) return `status ${String(body.status)} in the body, ${response.status} on the response`;
  return null;
}
