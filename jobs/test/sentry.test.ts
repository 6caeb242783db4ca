import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "#core/errors";
import { mlNotificationWire } from "#core/jobs/ml-notification";
import { sinkEvents, startSentrySink, type SentrySink } from "#test/support/sentry-sink";
import type { Processors } from "../src/processors/types";
import { startJobs, type RunningJobs } from "../src/start";
import { orderNotification } from "./support/notifications";
import { adminCredentials, createTestResources, memoryLogger, metricsToken, waitFor, type TestResources } from "./support/resources";

/**
 * The jobs container's error reports, received by a stand-in for Sentry's ingest: a job's final
 * failed attempt with its name, id, queue and attempt; nothing for an attempt that will be
 * retried; nothing without SENTRY_DSN; and no secret from the job's error or payload.
 */
let resources: TestResources;
let sink: SentrySink;
const opened: { running: RunningJobs; queue: Queue }[] = [];

beforeAll(async () => {
  resources = await createTestResources();
  sink = await startSentrySink();
});

afterEach(async () => {
  for (const { running, queue } of opened.splice(0)) {
    await running.close();
    await queue.close();
  }
});

afterAll(async () => {
  await sink?.close();
  await resources?.cleanup();
});

let projects = 0;
/** Sentry project ids are numeric; one per test keeps their envelopes apart. */
const newProject = () => String(Date.now() % 1e9) + String((projects += 1));

async function start(name: string, processors: Partial<Processors>, env: Record<string, string>) {
  const prefix = `${resources.prefix}-sentry-${name}`;
  const running = await startJobs(resources.env({ REDIS_KEY_PREFIX: prefix, ...env }), { processors, log: memoryLogger() });
  const queue = new Queue("ml-webhook", { connection: { host: "127.0.0.1", port: 6379 }, prefix });
  opened.push({ running, queue });
  return { running, queue };
}

const failed = (queue: Queue, jobId: string) => waitFor(async () => (await queue.getJobState(jobId)) === "failed", `job ${jobId} to fail`);

// Planted in the job's error and payload: none may reach the sink.
const email = "comprador.planted@example.com";
const accessToken = "APP_USR-1234567890123456-120714-0123456789abcdef0123456789abcdef-123456789";
const bearer = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWxsZXItOTkifQ.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU";
const resource = "/orders/2000009876543";
const plantedError = () => new Error(`GET ${resource} failed for ${email}: access_token=${accessToken} (Authorization: Bearer ${bearer})`);
// Right away and twice: the first attempt is retried, the second is the last.
const twoAttempts = { attempts: 2, backoff: { type: "fixed", delay: 0 }, delay: 0 };
const notification = () => mlNotificationWire.parse(orderNotification({ resource }));

describe("Sentry in the jobs container", () => {
  it("reports only the final attempt of a failing job, with its name, id, queue and attempt, and nothing secret", async () => {
    const project = newProject();
    let attempts = 0;
    const { running, queue } = await start("exhausted", { "ml.webhook": async () => ((attempts += 1), Promise.reject(plantedError())) }, { SENTRY_DSN: sink.dsn(project) });
    const job = await queue.add("ml.webhook", notification(), twoAttempts);
    await failed(queue, job.id!);
    // close() flushes the reporter: whatever it was going to send has arrived.
    await running.close();

    expect(attempts).toBe(2);
    const events = sinkEvents(sink.envelopes(project));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      level: "error",
      environment: "test",
      transaction: "job ml.webhook",
      tags: { job_name: "ml.webhook", job_id: job.id, queue: "ml-webhook", attempt: 2, max_attempts: 2, reason: "attempts_exhausted" },
    });
    const exception = (events[0]!.exception as { values: { type: string; value: string }[] }).values.at(-1)!;
    expect(exception.value).toContain("[email]");
    expect(exception.value).toContain("Bearer [redacted]");
    const everything = sink
      .envelopes(project)
      .map((envelope) => envelope.raw)
      .join("\n");
    // The order id in the message stays readable (ids are not secrets: core/redact.ts); the payload is never sent.
    for (const secret of [email, accessToken, bearer, "468424240"]) expect(everything).not.toContain(secret);
  });

  it("reports a permanent failure (AppError retryable: false) at its first attempt", async () => {
    const project = newProject();
    const { running, queue } = await start(
      "permanent",
      {
        "ml.webhook": async () => {
          throw new AppError("not_found", `order of ${email} is gone`);
        },
      },
      { SENTRY_DSN: sink.dsn(project) },
    );
    const job = await queue.add("ml.webhook", notification(), { ...twoAttempts, attempts: 5 });
    await failed(queue, job.id!);
    await running.close();

    const events = sinkEvents(sink.envelopes(project));
    expect(events).toMatchObject([{ tags: { job_id: job.id, attempt: 1, max_attempts: 5, reason: "permanent" } }]);
    expect(JSON.stringify(events)).not.toContain(email);
  });

  it("reports a payload refused before the processor runs", async () => {
    const project = newProject();
    const { running, queue } = await start("refused", { "ml.webhook": async () => undefined }, { SENTRY_DSN: sink.dsn(project) });
    const job = await queue.add("ml.webhook", { resource: 42 } as never, twoAttempts);
    await failed(queue, job.id!);
    await running.close();

    expect(sinkEvents(sink.envelopes(project))).toMatchObject([{ tags: { job_id: job.id, attempt: 1, reason: "permanent" } }]);
  });

  it("main.ts reports a failed start (the public port taken) before exiting 1", async () => {
    const project = newProject();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const child = spawn(process.execPath, ["--import", "tsx", "jobs/src/main.ts"], {
        env: {
          PATH: process.env.PATH,
          NODE_ENV: "test",
          LOG_LEVEL: "error",
          DATABASE_URL: resources.databaseUrl,
          REDIS_KEY_PREFIX: `${resources.prefix}-sentry-cli`,
          JOBS_PORT: String(port),
          JOBS_ADMIN_PORT: "0",
          ADMIN_USERNAME: adminCredentials.username,
          ADMIN_PASSWORD: adminCredentials.password,
          METRICS_TOKEN: metricsToken,
          SENTRY_DSN: sink.dsn(project),
        },
        stdio: ["ignore", "ignore", "pipe"],
      });
      expect(await new Promise<number | null>((resolve) => child.on("exit", resolve))).toBe(1);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }

    expect(sinkEvents(sink.envelopes(project))).toMatchObject([{ tags: { crash: "startup" }, exception: { values: [{ value: expect.stringContaining("EADDRINUSE") }] } }]);
    // A child process under tsx: its start alone takes seconds on a loaded box.
  }, 60_000);

  it("sends nothing without SENTRY_DSN", async () => {
    const before = sink.total();
    const { running, queue } = await start("no-dsn", { "ml.webhook": async () => Promise.reject(plantedError()) }, {});
    const job = await queue.add("ml.webhook", notification(), twoAttempts);
    await failed(queue, job.id!);
    await running.close();

    expect(sink.total()).toBe(before);
  });
});
