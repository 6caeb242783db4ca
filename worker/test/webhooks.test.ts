import { env } from "cloudflare:test";
import { inject } from "vitest";
import { beforeAll, describe, expect, it } from "vitest";
import { AppError } from "#core/errors";
import { uuidv7 } from "#core/ids";
import { mlHandledTopics } from "#core/jobs/ml-topics";
import { webhookEvents } from "#db/schema";
import { readConfig } from "../src/env";
import { buildServices } from "../src/services";
import { allowedIps, ingestMlNotification, mlSourceIps } from "../src/services/webhooks";
import { signMpManifest, verifyMpSignature } from "../src/services/webhooks-signature";
import { api, freshIp, problemFields, registerUser, type Session } from "./support/api";
import { seedAccount, testServices } from "./support/ml";

const bindings = env as unknown as Record<string, string>;
const appId = bindings.ML_APP_ID!;
const jobsUrl = `${bindings.JOBS_PUBLIC_URL}/qstash/ml.webhook`;
const replayUrl = `${bindings.JOBS_PUBLIC_URL}/qstash/ml.webhook.replay`;

interface QStashEvent {
  messageId: string;
  url: string;
  state: string;
}

async function qstashEvents(url: string): Promise<QStashEvent[]> {
  const response = await fetch(`${inject("stackUrls").qstash}/v2/events?count=1000`, { headers: { authorization: `Bearer ${bindings.QSTASH_TOKEN}` } });
  const body = (await response.json()) as { events: QStashEvent[] };
  return body.events.filter((event) => event.url === url);
}

const publishedIds = async (url = jobsUrl) => new Set((await qstashEvents(url)).filter((e) => e.state === "CREATED").map((e) => e.messageId));

function notification(mlUserId: number | string, overrides: Record<string, unknown> = {}) {
  return {
    _id: crypto.randomUUID(),
    resource: `/orders/${2_000_000_000 + Math.floor(Math.random() * 1e9)}`,
    user_id: mlUserId,
    topic: "orders_v2",
    application_id: Number(appId),
    attempts: 1,
    sent: new Date().toISOString(),
    received: new Date().toISOString(),
    ...overrides,
  };
}

const post = (body: unknown, headers: Record<string, string> = {}, query = "") =>
  api<Record<string, unknown>>(`/webhooks/ml${query}`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });

let owner: Session;
let account: { id: string; mlUserId: number };

beforeAll(async () => {
  owner = await registerUser();
  account = await seedAccount(testServices(), owner.user.id);
});

describe("POST /webhooks/ml (edge)", () => {
  it("accepts every payload variant ML sends and hands each to QStash for the jobs ingress", async () => {
    const variants = [
      notification(account.mlUserId),
      { ...notification(String(account.mlUserId)), _id: undefined, id: crypto.randomUUID() },
      notification(account.mlUserId, { resource: "post-purchase/v1/claims/5108684499", topic: "post_purchase", actions: ["claims"] }),
      { ...notification(account.mlUserId, { topic: "questions", resource: "/questions/123" }), received: undefined, recieved: new Date().toISOString() },
      { ...notification(account.mlUserId, { topic: "messages", resource: "3f6da1e35ac84f70a24af7360d24c7bc" }), application_id: appId },
    ];
    for (const body of variants) {
      const response = await post(body);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body).toMatchObject({ status: "accepted", deduplicated: false });
      expect(response.headers.get("server-timing")).toMatch(/handler;dur=[\d.]+/);
      const ids = await publishedIds();
      expect(ids.has(response.body.messageId as string)).toBe(true);
    }
  });

  it("publishes every topic the catalog declares handled, and drops any other ML topic", async () => {
    for (const topic of mlHandledTopics) {
      const response = await post(notification(account.mlUserId, { topic }));
      expect(response.body, topic).toMatchObject({ status: "accepted" });
      expect((await publishedIds()).has(response.body.messageId as string), topic).toBe(true);
    }
    for (const topic of ["invoices", "items_prices", "stock-locations", "fbm_stock_operations"]) {
      expect((await post(notification(account.mlUserId, { topic }))).body, topic).toEqual({ status: "dropped", reason: "unhandled_topic" });
    }
  });

  it("collapses the same notification sent five times into one QStash message", async () => {
    const body = notification(account.mlUserId);
    const answers = [];
    for (let i = 1; i <= 5; i++) answers.push(await post({ ...body, attempts: i, sent: new Date().toISOString() }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(answers.map((a) => a.body.messageId)).size).toBe(1);
    expect(answers.map((a) => a.body.deduplicated)).toEqual([false, true, true, true, true]);
  });

  it("rejects malformed bodies with field details and publishes nothing", async () => {
    const before = (await publishedIds()).size;
    const notJson = await post("{not json");
    expect(notJson.status).toBe(400);
    expect(problemFields(notJson.body)).toEqual(["body"]);

    const missing = await post({ user_id: account.mlUserId, topic: "orders_v2", application_id: appId, sent: new Date().toISOString() });
    expect(missing.status).toBe(400);
    expect(problemFields(missing.body)).toContain("body.resource");

    const badUser = await post(notification("not-a-number"));
    expect(badUser.status).toBe(400);
    expect(problemFields(badUser.body)).toContain("body.user_id");

    const badDate = await post(notification(account.mlUserId, { sent: "yesterday" }));
    expect(badDate.status).toBe(400);
    expect(problemFields(badDate.body)).toContain("body.sent");

    const array = await post([notification(account.mlUserId)]);
    expect(array.status).toBe(400);
    expect((await publishedIds()).size).toBe(before);
  });

  it("rejects oversized bodies with 413 before parsing, publishing nothing", async () => {
    const before = (await publishedIds()).size;
    const padded = await post(notification(account.mlUserId, { padding: "x".repeat(9_000) }));
    expect(padded.status).toBe(413);
    const huge = await post(notification(account.mlUserId, { padding: "x".repeat(70_000) }));
    expect(huge.status).toBe(413);
    expect((await publishedIds()).size).toBe(before);
  });

  it("answers 200 but drops (and counts) well-formed notifications that are not ours", async () => {
    const before = (await publishedIds()).size;
    const foreign = await post(notification(account.mlUserId, { application_id: 1234 }));
    expect(foreign.body).toEqual({ status: "dropped", reason: "foreign_app" });
    const topic = await post(notification(account.mlUserId, { topic: "vis_leads" }));
    expect(topic.body).toEqual({ status: "dropped", reason: "unhandled_topic" });
    const stranger = await post(notification(123_456_789));
    expect(stranger.status).toBe(200);
    expect(stranger.body).toEqual({ status: "dropped", reason: "unknown_account" });
    expect((await publishedIds()).size).toBe(before);
    const services = testServices();
    await expect.poll(() => services.redis.get<number>(services.key("webhooks", "dropped", "unknown_account"))).toBeGreaterThanOrEqual(1);
  });

  it("verifies a Mercado Pago-style x-signature when one is sent, with a timestamp tolerance", async () => {
    const secret = bindings.ML_WEBHOOK_SECRET!;
    const requestId = crypto.randomUUID();
    const ts = String(Math.floor(Date.now() / 1000));
    const v1 = await signMpManifest(secret, "abc123", requestId, ts);
    const good = await post(notification(account.mlUserId), { "x-signature": `ts=${ts},v1=${v1}`, "x-request-id": requestId }, "?data.id=ABC123");
    expect(good.status).toBe(200);

    const tampered = await post(notification(account.mlUserId), { "x-signature": `ts=${ts},v1=${v1.replace(/.$/, (c) => (c === "0" ? "1" : "0"))}`, "x-request-id": requestId }, "?data.id=ABC123");
    expect(tampered.status).toBe(401);

    const oldTs = String(Math.floor(Date.now() / 1000) - 3_600);
    const expired = await post(
      notification(account.mlUserId),
      { "x-signature": `ts=${oldTs},v1=${await signMpManifest(secret, "abc123", requestId, oldTs)}`, "x-request-id": requestId },
      "?data.id=abc123",
    );
    expect(expired.status).toBe(401);
    expect(await verifyMpSignature({ secret, signature: "garbage", requestId: null, dataId: null, toleranceSeconds: 300, now: new Date() })).toMatchObject({ ok: false });
  });

  it("answers 503 (so ML retries) when QStash does not take the message", async () => {
    const services = buildServices(readConfig({ ...bindings, QSTASH_URL: "http://127.0.0.1:9" }), "test-qstash-down");
    const body = JSON.stringify(notification(account.mlUserId));
    const error = await ingestMlNotification(services, { body, headers: { get: () => null }, query: {}, clientIp: "192.0.2.1", traceId: "t" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(503);
  });

  it("refuses a flood from one address with 429 and Retry-After, publishing nothing, while other addresses go on", async () => {
    // One bindings object per configuration: the Worker caches its config per object.
    const limited = { ...bindings, WEBHOOK_RATE_LIMIT_PER_MINUTE: "3" };
    const flooder = freshIp();
    const send = (ip: string, body = notification(account.mlUserId)) =>
      api(`/webhooks/ml`, { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" }, ip, bindings: limited });
    for (let i = 0; i < 3; i++) expect((await send(flooder, notification(990_000_000 + i))).status).toBe(200);
    const before = await publishedIds();
    const refused = await send(flooder);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await publishedIds()).toEqual(before);

    const elsewhere = await send(freshIp());
    expect(elsewhere.status).toBe(200);
    expect((elsewhere.body as { status: string }).status).toBe("accepted");
  });

  it("expands the optional source-IP allowlist", () => {
    const config = readConfig({ ...bindings, WEBHOOK_IP_ALLOWLIST: "ml, 203.0.113.9" });
    const allowed = allowedIps(config)!;
    expect(allowed.has("54.88.218.97")).toBe(true);
    expect(allowed.has("203.0.113.9")).toBe(true);
    expect(allowed.size).toBe(mlSourceIps.length + 1);
    expect(allowedIps(readConfig({ ...bindings }))).toBeNull();
  });
});

async function insertEvent(accountId: string, userId: string, mlUserId: number, values: Partial<typeof webhookEvents.$inferInsert> = {}) {
  const [row] = await testServices()
    .db.insert(webhookEvents)
    .values({
      notificationKey: `id|${crypto.randomUUID()}`,
      mlNotificationId: crypto.randomUUID(),
      accountId,
      userId,
      mlUserId,
      topic: "orders_v2",
      resource: `/orders/${Math.floor(Math.random() * 1e12)}`,
      status: "processed",
      outcome: "fetched",
      attempts: 1,
      ...values,
    })
    .returning();
  return row!;
}

describe("GET /webhooks/events and replay", () => {
  it("requires a bearer token", async () => {
    expect((await api("/webhooks/events")).status).toBe(401);
    expect((await api(`/webhooks/events/${uuidv7()}/replay`, { method: "POST" })).status).toBe(401);
  });

  it("shows each user only their own events, filtered and paginated", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const aliceAccount = await seedAccount(testServices(), alice.user.id);
    const bobAccount = await seedAccount(testServices(), bob.user.id);
    const processed = await insertEvent(aliceAccount.id, alice.user.id, aliceAccount.mlUserId);
    const failed = await insertEvent(aliceAccount.id, alice.user.id, aliceAccount.mlUserId, { status: "failed", topic: "items", resource: "/items/MLB1", lastError: "boom" });
    const bobs = await insertEvent(bobAccount.id, bob.user.id, bobAccount.mlUserId);

    const all = await api<{ events: { id: string }[]; nextCursor: string | null }>("/webhooks/events", { token: alice.accessToken });
    expect(all.status).toBe(200);
    expect(all.body.events.map((e) => e.id)).toEqual([failed.id, processed.id]);

    const onlyFailed = await api<{ events: { id: string; lastError: string }[] }>("/webhooks/events?status=failed&topic=items", { token: alice.accessToken });
    expect(onlyFailed.body.events).toEqual([expect.objectContaining({ id: failed.id, lastError: "boom" })]);

    const paged = await api<{ events: { id: string }[]; nextCursor: string }>("/webhooks/events?limit=1", { token: alice.accessToken });
    expect(paged.body.events.map((e) => e.id)).toEqual([failed.id]);
    const next = await api<{ events: { id: string }[]; nextCursor: string | null }>(`/webhooks/events?limit=1&cursor=${paged.body.nextCursor}`, { token: alice.accessToken });
    expect(next.body.events.map((e) => e.id)).toEqual([processed.id]);
    expect(next.body.nextCursor).toBeNull();

    // Bob asking for Alice's account gets nothing, not an error that confirms it exists.
    const snooping = await api<{ events: unknown[] }>(`/webhooks/events?account=${aliceAccount.id}`, { token: bob.accessToken });
    expect(snooping.body.events).toEqual([]);
    const bobAll = await api<{ events: { id: string }[] }>("/webhooks/events", { token: bob.accessToken });
    expect(bobAll.body.events.map((e) => e.id)).toEqual([bobs.id]);
  });

  it("rejects bad filters with field details", async () => {
    const response = await api("/webhooks/events?status=nope&limit=1000&account=x", { token: owner.accessToken });
    expect(response.status).toBe(400);
    expect(problemFields(response.body).sort()).toEqual(["query.account", "query.limit", "query.status"]);
  });

  it("replays only your own failed events, once per claim", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const aliceAccount = await seedAccount(testServices(), alice.user.id);
    const failed = await insertEvent(aliceAccount.id, alice.user.id, aliceAccount.mlUserId, { status: "failed", lastError: "ML said 403" });
    const processed = await insertEvent(aliceAccount.id, alice.user.id, aliceAccount.mlUserId);

    expect((await api(`/webhooks/events/${failed.id}/replay`, { method: "POST", token: bob.accessToken })).status).toBe(404);
    expect((await api(`/webhooks/events/${processed.id}/replay`, { method: "POST", token: alice.accessToken })).status).toBe(409);
    expect((await api("/webhooks/events/not-a-uuid/replay", { method: "POST", token: alice.accessToken })).status).toBe(400);

    const before = (await publishedIds(replayUrl)).size;
    const replay = await api<{ event: { status: string; replayCount: number; source: string }; jobId: string }>(`/webhooks/events/${failed.id}/replay`, {
      method: "POST",
      token: alice.accessToken,
    });
    expect(replay.status).toBe(202);
    expect(replay.body.event).toMatchObject({ status: "enqueued", replayCount: 1, source: "replay" });
    expect(replay.body.jobId).toMatch(/^ml\.webhook\.replay\./);
    expect((await publishedIds(replayUrl)).size).toBe(before + 1);

    // It is no longer failed, so a second click is a conflict rather than a second replay.
    expect((await api(`/webhooks/events/${failed.id}/replay`, { method: "POST", token: alice.accessToken })).status).toBe(409);
  });
});
