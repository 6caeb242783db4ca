import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { jobNames, jobs, queueNames, type Payload } from "#core/jobs/catalog";
import { AppError } from "#core/errors";
import { generateTokenKey } from "#core/token-cipher";
import { mlNotificationWire } from "#core/jobs/ml-notification";
import type { Processors } from "../src/processors/types";
import { startJobs, type RunningJobs } from "../src/start";
import { orderNotification } from "./support/notifications";
import { createTestResources, memoryLogger, waitFor, type TestResources } from "./support/resources";

let resources: TestResources;

/** Enough configuration for the container to build both providers' clients (nothing is called). */
const bothProviders = {
  ML_APP_ID: "5503910054141466",
  ML_CLIENT_SECRET: "schedulers-test-secret",
  TINY_CLIENT_ID: "schedulers-test-client",
  TINY_CLIENT_SECRET: "schedulers-test-secret",
  TOKEN_ENCRYPTION_KEYS: generateTokenKey("k1"),
};
const opened: { running?: RunningJobs; queue?: Queue }[] = [];

beforeAll(async () => {
  resources = await createTestResources();
});

afterEach(async () => {
  for (const { running, queue } of opened.splice(0)) {
    await running?.close();
    await queue?.close();
  }
});

afterAll(async () => {
  await resources?.cleanup();
});

/** Each test gets its own key prefix, so no job leaks from one test's queue into the next worker. */
async function start(name: string, processors: Partial<Processors>, env: Record<string, string> = {}) {
  const prefix = `${resources.prefix}-${name}`;
  const log = memoryLogger();
  const running = await startJobs(resources.env({ REDIS_KEY_PREFIX: prefix, ...env }), { processors, log });
  const queue = new Queue("ml-webhook", { connection: { host: "127.0.0.1", port: 6379 }, prefix });
  opened.push({ running, queue });
  return { running, queue, log };
}

const notification = (overrides: Record<string, unknown> = {}): Payload<"ml.webhook"> => mlNotificationWire.parse(orderNotification(overrides));

const finished = (queue: Queue, jobId: string) =>
  waitFor(async () => {
    const state = await queue.getJobState(jobId);
    return state === "completed" || state === "failed" ? state : undefined;
  }, `job ${jobId} to finish`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("workers", () => {
  it("registers no Worker for queues without processors; their jobs wait", async () => {
    const { queue, log } = await start("idle", {});
    const job = await queue.add("ml.webhook", notification(), jobs["ml.webhook"].options);
    await sleep(300);
    // ml.webhook jobs start delayed (coalescing); either way no Worker takes them.
    expect(["waiting", "delayed"]).toContain(await job.getState());
    expect(log.lines.find((l) => l.msg === "workers started")).toMatchObject({ queues: [] });
  });

  it("runs a valid job through its processor and logs it with job id, queue and attempt", async () => {
    const seen: Payload<"ml.webhook">[] = [];
    const { queue, log } = await start("happy", {
      "ml.webhook": async (payload, ctx) => {
        seen.push(payload);
        expect(ctx.job).toMatchObject({ name: "ml.webhook", queue: "ml-webhook", attempt: 1, maxAttempts: 8 });
        return { fetched: payload.resource };
      },
    });
    const job = await queue.add("ml.webhook", notification(), jobs["ml.webhook"].options);
    expect(await finished(queue, job.id!)).toBe("completed");
    expect(seen[0]?.resource).toBe("/orders/2195160686");
    expect((await queue.getJob(job.id!))?.returnvalue).toEqual({ fetched: "/orders/2195160686" });
    expect(log.lines.find((l) => l.msg === "job completed")).toMatchObject({
      jobId: job.id,
      jobName: "ml.webhook",
      queue: "ml-webhook",
      attempt: 1,
    });
  });

  it("fails an invalid payload or unknown job at once (UnrecoverableError), without calling the processor", async () => {
    let calls = 0;
    const { queue } = await start("invalid", {
      "ml.webhook": async () => {
        calls += 1;
      },
    });
    const retries = { attempts: 5, backoff: { type: "fixed", delay: 10 } };
    const invalid = await queue.add("ml.webhook", { resource: 42 } as never, retries);
    const unknown = await queue.add("ml.unknown", notification(), retries);
    for (const job of [invalid, unknown]) {
      expect(await finished(queue, job.id!)).toBe("failed");
      const stored = await queue.getJob(job.id!);
      expect(stored?.attemptsMade).toBe(1);
    }
    expect((await queue.getJob(invalid.id!))?.failedReason).toMatch(/^Invalid payload: payload\./);
    expect(calls).toBe(0);
  });

  it("maps AppError retryable:false to no retries, and retries retryable failures", async () => {
    const attempts = new Map<string, number>();
    const { queue } = await start("errors", {
      "ml.webhook": async (payload) => {
        const n = (attempts.get(payload.resource) ?? 0) + 1;
        attempts.set(payload.resource, n);
        if (payload.resource === "/gone") throw new AppError("not_found", "resource is gone");
        if (n === 1) throw new AppError("unavailable", "ML answered 503");
        return "ok";
      },
    });
    const retries = { attempts: 5, backoff: { type: "fixed", delay: 10 } };
    const gone = await queue.add("ml.webhook", notification({ resource: "/gone" }), retries);
    const flaky = await queue.add("ml.webhook", notification({ resource: "/flaky" }), retries);

    expect(await finished(queue, gone.id!)).toBe("failed");
    expect((await queue.getJob(gone.id!))?.failedReason).toBe("not_found: resource is gone");
    expect(attempts.get("/gone")).toBe(1);

    expect(await finished(queue, flaky.id!)).toBe("completed");
    expect(attempts.get("/flaky")).toBe(2);
  });
});

describe("schedulers", () => {
  it("registers exactly the schedules the catalog declares, each on its job's queue with its period", async () => {
    const prefix = `${resources.prefix}-schedulers`;
    const running = await startJobs(resources.env({ REDIS_KEY_PREFIX: prefix, ...bothProviders }), { processors: {}, log: memoryLogger(), schedulers: true });
    const queues = queueNames.map((name) => new Queue(name, { connection: { host: "127.0.0.1", port: 6379 }, prefix }));
    opened.push({ running }, ...queues.map((queue) => ({ queue })));
    const declared = jobNames.flatMap((name) => {
      const { queue, schedule } = jobs[name];
      return schedule ? [[queue, `scheduler:${name}`, name, schedule.everyMs]] : [];
    });
    // The recurring work the docs promise; a catalog entry that loses its schedule fails here.
    expect(declared.map(([, , name]) => name).sort()).toEqual([
      "maintenance.retention",
      "ml.missed-feeds",
      "ml.reconcile",
      "ml.sync.schedule",
      "ml.tokens.sweep",
      "tinyerp.orders.forward.sweep",
      "tinyerp.products.sync.schedule",
      "tinyerp.stock.poll",
      "tinyerp.tokens.keepalive",
    ]);
    const registered = await waitFor(async () => {
      const all = (await Promise.all(queues.map(async (queue) => (await queue.getJobSchedulers()).map((s) => [queue.name, s.key, s.name, s.every])))).flat();
      return all.length >= declared.length ? all : undefined;
    }, "every scheduler");
    expect(registered.sort()).toEqual(declared.sort());
  });
  it("a container without MercadoLibre or Tiny registers only the schedules it can run", async () => {
    const prefix = `${resources.prefix}-schedulers-bare`;
    const running = await startJobs(resources.env({ REDIS_KEY_PREFIX: prefix }), { processors: {}, log: memoryLogger(), schedulers: true });
    const queues = queueNames.map((name) => new Queue(name, { connection: { host: "127.0.0.1", port: 6379 }, prefix }));
    opened.push({ running }, ...queues.map((queue) => ({ queue })));
    const keys = async () => (await Promise.all(queues.map(async (queue) => (await queue.getJobSchedulers()).map((s) => s.key)))).flat().sort();
    // Its one provider-free schedule is registered; waiting for it proves registration ran.
    await waitFor(async () => ((await keys()).length > 0 ? true : undefined), "the retention scheduler");
    expect(await keys()).toEqual(["scheduler:maintenance.retention"]);
  });
});

describe("graceful shutdown", () => {
  it("lets an in-flight job finish before close() resolves", async () => {
    let started = false;
    let done = false;
    const { running, queue, log } = await start("drain", {
      "ml.webhook": async () => {
        started = true;
        await sleep(1_000);
        done = true;
      },
    });
    const job = await queue.add("ml.webhook", notification(), jobs["ml.webhook"].options);
    await waitFor(async () => started, "the job to start");

    await running.close();
    expect(done).toBe(true);
    expect(await queue.getJobState(job.id!)).toBe("completed");
    expect(log.lines.find((l) => l.msg === "shutdown complete")).toMatchObject({ timedOut: false });

    // The HTTP server is gone too.
    await expect(fetch(`${running.url}/health`)).rejects.toThrow();
  });

  it("stops waiting after SHUTDOWN_TIMEOUT_MS and aborts the job's signal", async () => {
    let started = false;
    let aborted = false;
    const { running, queue } = await start(
      "timeout",
      {
        "ml.webhook": async (_payload, ctx) => {
          started = true;
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, 20_000);
            ctx.signal.addEventListener("abort", () => {
              clearTimeout(timer);
              aborted = true;
              reject(new Error("aborted by shutdown"));
            });
          });
        },
      },
      { SHUTDOWN_TIMEOUT_MS: "300" },
    );
    const job = await queue.add("ml.webhook", notification(), jobs["ml.webhook"].options);
    await waitFor(async () => started, "the job to start");

    const t0 = Date.now();
    await running.close();
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(aborted).toBe(true);
    // The job was not lost: it failed its attempt and will be retried.
    expect(["delayed", "waiting", "active"]).toContain(await queue.getJobState(job.id!));
  });
});
