import { Queue } from "bullmq";
import { inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobs } from "#core/jobs/catalog";
import { createNodeDb } from "#db/client-node";
import { refreshTokens, sessions, users, webhookEvents, type WebhookEventStatus } from "#db/schema";
import { EnvError, parseJobsEnv } from "../src/env";
import { retentionBatchSize } from "../src/processors/maintenance/retention";
import { schedules } from "../src/queues/schedulers";
import { startJobs, type RunningJobs } from "../src/start";
import { createTestResources, memoryLogger, waitFor, type TestResources } from "./support/resources";

/**
 * The retention sweep against real Postgres and BullMQ: what is old enough goes, in batches,
 * whoever it belongs to; what is recent, live, failed or in flight stays.
 */
let resources: TestResources;
let database: ReturnType<typeof createNodeDb>;
let running: RunningJobs;
let queue: Queue;
const day = 24 * 60 * 60_000;
const daysAgo = (days: number) => new Date(Date.now() - days * day);
const inDays = (days: number) => new Date(Date.now() + days * day);

beforeAll(async () => {
  resources = await createTestResources();
  database = createNodeDb(resources.databaseUrl, { max: 2 });
  // 60 rather than the default 90, so the setting is what decides.
  running = await startJobs(resources.env({ RETENTION_WEBHOOK_EVENTS_DAYS: "60" }), { log: memoryLogger(), schedulers: false });
  queue = new Queue("ml-sync", { connection: { host: "127.0.0.1", port: 6379 }, prefix: resources.prefix });
});

afterAll(async () => {
  await queue?.close();
  await running?.close();
  await database?.close();
  await resources?.cleanup();
});

async function insertUser(): Promise<string> {
  const [row] = await database.db
    .insert(users)
    .values({ email: `u-${crypto.randomUUID()}@example.com`, passwordHash: "x" })
    .returning({ id: users.id });
  return row!.id;
}

async function insertSession(userId: string, values: { expiresAt: Date; revokedAt?: Date }, tokens = 3): Promise<string> {
  const [row] = await database.db
    .insert(sessions)
    .values({ userId, ...values })
    .returning({ id: sessions.id });
  await database.db
    .insert(refreshTokens)
    .values(Array.from({ length: tokens }, (_, i) => ({ sessionId: row!.id, tokenHash: crypto.randomUUID(), expiresAt: values.expiresAt, usedAt: i < tokens - 1 ? daysAgo(1) : null })));
  return row!.id;
}

async function insertEvent(userId: string | null, status: WebhookEventStatus, createdAt: Date): Promise<string> {
  const [row] = await database.db
    .insert(webhookEvents)
    .values({ notificationKey: crypto.randomUUID(), userId, mlUserId: 1, topic: "orders_v2", resource: "/orders/1", status, createdAt })
    .returning({ id: webhookEvents.id });
  return row!.id;
}

async function runSweep(): Promise<{ refreshTokens: number; sessions: number; webhookEvents: number }> {
  const job = await queue.add("maintenance.retention", {}, jobs["maintenance.retention"].options);
  await waitFor(
    async () => {
      const state = await queue.getJobState(job.id!);
      if (state === "failed") throw new Error(`retention failed: ${(await queue.getJob(job.id!))?.failedReason}`);
      return state === "completed";
    },
    "the retention job",
    60_000,
  );
  return (await queue.getJob(job.id!))!.returnvalue;
}

const remainingSessions = async (ids: string[]) => (await database.db.select({ id: sessions.id }).from(sessions).where(inArray(sessions.id, ids))).map((row) => row.id).sort();
const remainingEvents = async (ids: string[]) => (await database.db.select({ id: webhookEvents.id }).from(webhookEvents).where(inArray(webhookEvents.id, ids))).map((row) => row.id).sort();

describe("retention sweep", () => {
  it("is scheduled daily on ml-sync and configured by RETENTION_WEBHOOK_EVENTS_DAYS (default 90)", () => {
    expect(schedules).toContainEqual({ id: "scheduler:maintenance.retention", queue: "ml-sync", name: "maintenance.retention", everyMs: day, needs: null });
    expect(resources.env().retention).toEqual({ webhookEventsDays: 90 });
    expect(() => parseJobsEnv({ RETENTION_WEBHOOK_EVENTS_DAYS: "0" })).toThrow(EnvError);
  });

  it("deletes sessions ended over 7 days ago with their tokens, across users; keeps live and recently ended ones", async () => {
    const [alice, bob] = [await insertUser(), await insertUser()];
    const gone = [
      await insertSession(alice, { expiresAt: daysAgo(8) }),
      await insertSession(alice, { expiresAt: inDays(20), revokedAt: daysAgo(10) }),
      await insertSession(bob, { expiresAt: daysAgo(30) }),
    ];
    const kept = [
      await insertSession(alice, { expiresAt: inDays(20) }),
      await insertSession(alice, { expiresAt: daysAgo(2) }),
      await insertSession(bob, { expiresAt: inDays(20), revokedAt: daysAgo(1) }),
    ];

    const result = await runSweep();

    expect(result).toMatchObject({ sessions: 3, refreshTokens: 9 });
    expect(await remainingSessions([...gone, ...kept])).toEqual([...kept].sort());
    const tokens = await database.db
      .select({ sessionId: refreshTokens.sessionId })
      .from(refreshTokens)
      .where(inArray(refreshTokens.sessionId, [...gone, ...kept]));
    expect(new Set(tokens.map((t) => t.sessionId))).toEqual(new Set(kept));
    // A live session keeps its used tokens: presenting one again is how reuse is detected.
    expect(tokens.filter((t) => t.sessionId === kept[0])).toHaveLength(3);
  });

  it("deletes processed and skipped webhook events past the age, of every tenant; keeps failed, in-flight and recent ones", async () => {
    const [alice, bob] = [await insertUser(), await insertUser()];
    const gone = [await insertEvent(alice, "processed", daysAgo(61)), await insertEvent(bob, "skipped", daysAgo(200)), await insertEvent(null, "skipped", daysAgo(70))];
    const kept = [
      await insertEvent(alice, "failed", daysAgo(200)),
      await insertEvent(bob, "processing", daysAgo(61)),
      await insertEvent(alice, "enqueued", daysAgo(61)),
      await insertEvent(alice, "received", daysAgo(61)),
      await insertEvent(alice, "processed", daysAgo(59)),
      await insertEvent(bob, "skipped", daysAgo(1)),
    ];

    const result = await runSweep();

    expect(result.webhookEvents).toBe(3);
    expect(await remainingEvents([...gone, ...kept])).toEqual([...kept].sort());
  });

  it("loops batch after batch until a backlog larger than one batch is gone", async () => {
    const backlog = 2 * retentionBatchSize + 1;
    await database.db.execute(sql`
      insert into webhook_events (id, notification_key, ml_user_id, topic, resource, status, created_at)
      select gen_random_uuid(), 'backlog-' || n, 1, 'items', '/items/MLB' || n, 'processed', now() - interval '100 days'
      from generate_series(1, ${backlog}) as n`);
    const recent = await insertEvent(null, "processed", daysAgo(1));

    const result = await runSweep();

    expect(result.webhookEvents).toBe(backlog);
    const [left] = await database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(webhookEvents)
      .where(sql`${webhookEvents.notificationKey} like 'backlog-%'`);
    expect(left!.n).toBe(0);
    expect(await remainingEvents([recent])).toEqual([recent]);
  });
});
