import { Queue, UnrecoverableError } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "#core/errors";
import { mlNotificationWire } from "#core/jobs/ml-notification";
import { createNodeDb } from "#db/client-node";
import { users } from "#db/schema";
import { startJobs, type RunningJobs } from "../src/start";
import { orderNotification } from "./support/notifications";
import { createTestResources, memoryLogger, waitFor, type TestResources } from "./support/resources";

/**
 * What a failing job leaves behind (log lines, and BullMQ's failedReason and stacktrace that
 * Bull Board shows) carries no SQL parameter, email or CPF, while retries behave as before.
 */
const email = "buyer.secret@example.com";
const cpf = "529.982.247-25";
let resources: TestResources;
let database: ReturnType<typeof createNodeDb>;
let running: RunningJobs;
let queue: Queue;
const log = memoryLogger();
const attempts = new Map<string, number>();

beforeAll(async () => {
  resources = await createTestResources();
  database = createNodeDb(resources.databaseUrl, { max: 2 });
  await database.db.insert(users).values({ email, passwordHash: "x" });
  running = await startJobs(resources.env(), {
    log,
    schedulers: false,
    processors: {
      "ml.webhook": async ({ resource }, ctx) => {
        attempts.set(resource, (attempts.get(resource) ?? 0) + 1);
        if (resource === "/duplicate") await ctx.db.insert(users).values({ email, passwordHash: "x" });
        if (resource === "/permanent") throw new AppError("not_found", `No Tiny contact for ${email} (${cpf}).`, { retryable: false });
        if (resource === "/unrecoverable") throw new UnrecoverableError(`Buyer ${email} was deleted.`);
        return "ok";
      },
    },
  });
  queue = new Queue("ml-webhook", { connection: { host: "127.0.0.1", port: 6379 }, prefix: resources.prefix });
});

afterAll(async () => {
  await queue?.close();
  await running?.close();
  await database?.close();
  await resources?.cleanup();
});

async function failedJob(resource: string) {
  const job = await queue.add("ml.webhook", mlNotificationWire.parse(orderNotification({ resource })), { attempts: 2, backoff: { type: "fixed", delay: 10 } });
  await waitFor(async () => (await queue.getJobState(job.id!)) === "failed", `job ${resource} to fail`);
  const stored = (await queue.getJob(job.id!))!;
  const lines = log.lines.filter((line) => line.jobId === job.id);
  return { stored, lines, everything: JSON.stringify({ failedReason: stored.failedReason, stacktrace: stored.stacktrace, lines }) };
}

describe("a failing job", () => {
  it("a failed query: Postgres' code in the log and in BullMQ, no parameter; still retried", async () => {
    const { stored, lines, everything } = await failedJob("/duplicate");
    expect(attempts.get("/duplicate")).toBe(2);
    expect(stored.failedReason).toBe("database query failed: 23505 unique_violation on users_email_key");
    expect(stored.stacktrace?.length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.msg === "job failed").map((line) => line.error)).toEqual([stored.failedReason, stored.failedReason]);
    expect(everything).not.toContain(email);
    expect(everything).not.toContain("insert into");
  });

  it("a permanent AppError or UnrecoverableError quoting buyer data: masked, and still not retried", async () => {
    const permanent = await failedJob("/permanent");
    expect(attempts.get("/permanent")).toBe(1);
    expect(permanent.stored.failedReason).toBe("not_found: No Tiny contact for [email] ([cpf]).");
    expect(permanent.everything).not.toContain(email);
    expect(permanent.everything).not.toContain(cpf);

    const unrecoverable = await failedJob("/unrecoverable");
    expect(attempts.get("/unrecoverable")).toBe(1);
    expect(unrecoverable.stored.failedReason).toBe("Buyer [email] was deleted.");
    expect(unrecoverable.everything).not.toContain(email);
  });
});
