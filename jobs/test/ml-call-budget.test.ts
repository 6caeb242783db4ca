import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMlSandbox } from "#dev/sandbox/ml";
import { mlTransport } from "#integrations/mercadolibre";
import { EnvError, parseJobsEnv } from "../src/env";
import { mlCallBudget, type MlAppRate, type MlCallBudget } from "../src/processors/shared/ml-call-budget";

// Real Redis, simulated time: every budget reads the same injected clock, and the loop below plays
// sellers whose backlog never empties, each asking again when the budget said to. Counts of grants
// per seller are then exact functions of the algorithm, not of this machine's speed.

let redis: Redis;
let other: Redis;
const prefixes: string[] = [];

beforeAll(() => {
  redis = new Redis("redis://127.0.0.1:6379");
  // A second connection plays a second jobs container.
  other = new Redis("redis://127.0.0.1:6379");
});

afterAll(async () => {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.unlink(...keys);
  }
  await Promise.all([redis.quit(), other.quit()]);
});

function setup(rate: MlAppRate, containers = 1) {
  const prefix = `autoecom-t-budget-${randomBytes(5).toString("hex")}`;
  prefixes.push(prefix);
  const clock = { t: 1_000_000 };
  const budgets = Array.from({ length: containers }, (_, i) => mlCallBudget({ redis: i % 2 === 0 ? redis : other, keyPrefix: prefix, rate, now: () => clock.t }));
  return { clock, budgets };
}

interface Seller {
  id: string;
  /** Ask again this long after a grant: 1 ms is a backlog that never empties; 200 ms is 5 calls/s of demand. */
  gapMs: number;
  startMs?: number;
}

/** Runs `durationMs` of simulated time; the containers take turns serving requests. */
async function simulate(setupResult: ReturnType<typeof setup>, sellers: Seller[], durationMs: number, during?: (t: number) => Promise<void>) {
  const { clock, budgets } = setupResult;
  const start = clock.t;
  const next = new Map(sellers.map((s) => [s.id, start + (s.startMs ?? 0)]));
  const grants = new Map(sellers.map((s) => [s.id, 0]));
  let turn = 0;
  for (;;) {
    const [id, at] = [...next].reduce((a, b) => (b[1] < a[1] ? b : a));
    if (at >= start + durationMs) break;
    clock.t = at;
    await during?.(at - start);
    const budget = budgets[turn++ % budgets.length]!;
    const wait = await budget.take(id);
    const seller = sellers.find((s) => s.id === id)!;
    if (wait === 0) grants.set(id, grants.get(id)! + 1);
    next.set(id, at + (wait === 0 ? seller.gapMs : wait));
  }
  return grants;
}

/** Each seller has a backlog of jobs; a job asks with its id, waits as told, and is done once granted (the webhook pipeline). */
async function simulateBacklogs(setupResult: ReturnType<typeof setup>, backlogs: Record<string, number>, durationMs: number) {
  const { clock, budgets } = setupResult;
  const start = clock.t;
  // [seller, next ask]; jobs arrive 1 ms apart, as a burst of notifications does.
  const jobs: Array<[string, number, string]> = Object.entries(backlogs).flatMap(([id, n]) => Array.from({ length: n }, (_, i): [string, number, string] => [id, start + i, `${id}-${i}`]));
  const grants = new Map(Object.keys(backlogs).map((id) => [id, 0]));
  let asks = 0;
  let turn = 0;
  for (;;) {
    let index = 0;
    for (let i = 1; i < jobs.length; i++) if (jobs[i]![1] < jobs[index]![1]) index = i;
    const job = jobs[index];
    if (!job || job[1] >= start + durationMs) break;
    clock.t = job[1];
    asks++;
    const wait = await budgets[turn++ % budgets.length]!.take(job[0], job[2]);
    if (wait === 0) {
      grants.set(job[0], grants.get(job[0])! + 1);
      jobs.splice(index, 1);
    } else {
      job[1] += wait;
    }
  }
  return { grants, asks };
}

const fixed = (perSecond: number): MlAppRate => ({ initial: perSecond, min: perSecond, max: perSecond });
const rateOf = (budget: MlCallBudget) => budget.state().then((s) => s.rate);

describe("the application's ML call budget", () => {
  it("is work-conserving: a seller alone gets the whole rate", async () => {
    const grants = await simulate(setup(fixed(50)), [{ id: "a", gapMs: 1 }], 10_000);
    // 10 s at 50/s, plus the one second of calls the bucket holds at the start.
    expect(grants.get("a")).toBeGreaterThanOrEqual(0.95 * 500);
    expect(grants.get("a")).toBeLessThanOrEqual(500 + 50 + 1);
  });

  it("shares the rate equally between busy sellers (within 20 %)", async () => {
    const sellers = Array.from({ length: 5 }, (_, i) => ({ id: `s${i}`, gapMs: 1 }));
    const grants = await simulate(setup(fixed(50)), sellers, 20_000);
    const counts = [...grants.values()];
    const total = counts.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(0.95 * 1000);
    expect(total).toBeLessThanOrEqual(1000 + 50 + 1);
    for (const count of counts) expect(Math.abs(count - total / 5)).toBeLessThanOrEqual(0.2 * (total / 5));
  });

  it("gives a light seller what it asks and the busy one everything left", async () => {
    const grants = await simulate(
      setup(fixed(50)),
      [
        { id: "busy", gapMs: 1 },
        { id: "light", gapMs: 200 },
      ],
      20_000,
    );
    expect(grants.get("light")).toBeGreaterThanOrEqual(0.9 * 100);
    // 1,000 calls in 20 s; the light seller's 100 are not held back for it.
    expect(grants.get("busy")! + grants.get("light")!).toBeGreaterThanOrEqual(0.95 * 1000);
  });

  it("spreads a backlog of jobs over time: full rate, equal shares, and a few asks per call instead of one per job per token", async () => {
    const alone = await simulateBacklogs(setup(fixed(50)), { a: 1_000 }, 10_000);
    expect(alone.grants.get("a")).toBeGreaterThanOrEqual(0.95 * 500);
    // The line is overbooked (places 0.4 of the fair interval apart), since in the webhook pipeline about half
    // the jobs come back with nothing to call: here, where every job needs its call, that costs a few more asks.
    expect(alone.asks).toBeLessThanOrEqual(6 * alone.grants.get("a")!);

    const shared = await simulateBacklogs(setup(fixed(50), 2), { a: 400, b: 400, c: 400, d: 400 }, 20_000);
    const counts = [...shared.grants.values()];
    const total = counts.reduce((x, y) => x + y, 0);
    expect(total).toBeGreaterThanOrEqual(0.95 * 1000);
    for (const count of counts) expect(Math.abs(count - total / 4)).toBeLessThanOrEqual(0.2 * (total / 4));
    expect(shared.asks).toBeLessThanOrEqual(6 * total);
  });

  it("keeps the rate busy when about half the backlog comes back with nothing to call (each sale notifies twice)", async () => {
    const s = setup(fixed(5));
    const [budget] = s.budgets as [MlCallBudget];
    const start = s.clock.t;
    // 300 sales, notified twice 2.5 ms apart; once one of an order's jobs was granted, its twin coalesces without asking.
    const jobs = Array.from({ length: 600 }, (_, i) => ({ order: Math.floor(i / 2), ticket: `j${i}`, at: start + i * 2.5 }));
    const fetched = new Set<number>();
    while (jobs.length) {
      let index = 0;
      for (let i = 1; i < jobs.length; i++) if (jobs[i]!.at < jobs[index]!.at) index = i;
      const job = jobs[index]!;
      s.clock.t = job.at;
      if (fetched.has(job.order)) {
        jobs.splice(index, 1);
        continue;
      }
      const wait = await budget.take("a", job.ticket);
      if (wait > 0) {
        // A deferred job comes back a little after its place (the processor's jitter, BullMQ's promotion).
        job.at += wait + 50;
        continue;
      }
      fetched.add(job.order);
      jobs.splice(index, 1);
    }
    expect(300 / ((s.clock.t - start) / 1000)).toBeGreaterThanOrEqual(0.9 * 5);
  });

  it("is one budget for every container: two instances over two connections do not double it", async () => {
    const shared = setup(fixed(40), 2);
    const grants = await simulate(
      shared,
      [
        { id: "a", gapMs: 1 },
        { id: "b", gapMs: 1 },
      ],
      10_000,
    );
    const total = grants.get("a")! + grants.get("b")!;
    expect(total).toBeGreaterThanOrEqual(0.95 * 400);
    expect(total).toBeLessThanOrEqual(400 + 40 + 1);
    expect(Math.abs(grants.get("a")! - grants.get("b")!)).toBeLessThanOrEqual(0.2 * (total / 2));
  });

  it("grows while demand exceeds the rate, and not while it does not", async () => {
    const idle = setup({ initial: 10, min: 1, max: 1_000 });
    await simulate(idle, [{ id: "a", gapMs: 500 }], 5_000);
    expect(await rateOf(idle.budgets[0]!)).toBe(10);

    const busy = setup({ initial: 10, min: 1, max: 1_000 });
    await simulate(busy, [{ id: "a", gapMs: 1 }], 5_500);
    // Doubling each second of contention until ML first refuses: 10 → 20 → 40 → 80 → 160.
    expect(await rateOf(busy.budgets[0]!)).toBeGreaterThanOrEqual(160);
  });

  it("multiplies the rate by 0.9 on a 429, once per second, then probes gently: after 5 s without a 429, by 5 % (at most one call/s) per second", async () => {
    const s = setup({ initial: 100, min: 1, max: 1_000 });
    const [budget] = s.budgets as [MlCallBudget];
    await budget.noteRateLimited();
    expect(await rateOf(budget)).toBeCloseTo(90, 6);
    // The calls already in flight answer 429 too: one decrease for the lot.
    s.clock.t += 500;
    await budget.noteRateLimited();
    expect(await rateOf(budget)).toBeCloseTo(90, 6);
    s.clock.t += 600;
    await budget.noteRateLimited();
    expect(await rateOf(budget)).toBeCloseTo(81, 6);
    // The limit ML refused at is remembered: for 5 s after the 429 the rate holds, however busy the sellers...
    await simulate(s, [{ id: "a", gapMs: 1 }], 4_900);
    expect(await rateOf(budget)).toBeCloseTo(81, 6);
    // ...then grows additively, one call/s per second of contention (5 % of 81 is more), not by doubling.
    await simulate(s, [{ id: "a", gapMs: 1 }], 3_500);
    const rate = await rateOf(budget);
    expect(rate).toBeGreaterThanOrEqual(81 + 2);
    expect(rate).toBeLessThanOrEqual(81 + 4);
    // Never below the floor.
    for (let i = 0; i < 60; i++) {
      s.clock.t += 1_000;
      await budget.noteRateLimited();
    }
    expect(await rateOf(budget)).toBe(1);
  });

  it("at ML's 5 calls/s, probes past a refused rate by 5 % of it: a few tenths of a call/s", async () => {
    const s = setup({ initial: 5, min: 1, max: 1_000 });
    const [budget] = s.budgets as [MlCallBudget];
    await budget.noteRateLimited();
    expect(await rateOf(budget)).toBeCloseTo(4.5, 6);
    s.clock.t += 5_000;
    // Three seconds of a backlog after the quiet: 4.5 · 1.05³, give or take the second that starts it.
    await simulate(s, [{ id: "a", gapMs: 1 }], 3_000);
    const rate = await rateOf(budget);
    expect(rate).toBeGreaterThanOrEqual(4.5 * 1.05 ** 2 - 1e-9);
    expect(rate).toBeLessThanOrEqual(4.5 * 1.05 ** 4 + 1e-9);
  });

  it("under a limit of R calls/s that refuses what goes past it, grants at least 0.9 R once it has learned R", async () => {
    const s = setup({ initial: 5, min: 1, max: 1_000 });
    const [budget] = s.budgets as [MlCallBudget];
    // ML's limiter as the sandbox plays it: a bucket of R tokens refilled at R/s; a refused call takes none.
    const limit = 5;
    let tokens = limit;
    let last = s.clock.t;
    let passed = 0;
    let refused = 0;
    const start = s.clock.t;
    const end = start + 120_000;
    let next = start;
    let learnedAt = -1;
    let passedAfterLearning = 0;
    while (next < end) {
      s.clock.t = next;
      const wait = await budget.take("a");
      if (wait > 0) {
        next += wait;
        continue;
      }
      tokens = Math.min(limit, tokens + ((s.clock.t - last) * limit) / 1000);
      last = s.clock.t;
      if (tokens >= 1) {
        tokens -= 1;
        passed++;
        if (learnedAt >= 0) passedAfterLearning++;
      } else {
        refused++;
        await budget.noteRateLimited();
        if (learnedAt < 0 && s.clock.t - start >= 20_000) learnedAt = s.clock.t;
      }
      next += 1;
    }
    expect(learnedAt).toBeGreaterThan(0);
    expect(passedAfterLearning / ((end - learnedAt) / 1000)).toBeGreaterThanOrEqual(0.9 * limit);
    // Refusals are rare once learned: a probe past R costs a handful of refused calls every several seconds.
    expect(refused / (passed + refused)).toBeLessThan(0.1);
  });

  it("stops every seller until a Retry-After has passed", async () => {
    const s = setup(fixed(50), 2);
    const [first, second] = s.budgets as [MlCallBudget, MlCallBudget];
    expect(await first.take("a")).toBe(0);
    await second.noteRateLimited(2_000);
    expect(await first.take("a")).toBe(2_000);
    expect(await second.take("b")).toBe(2_000);
    s.clock.t += 1_999;
    expect(await first.take("b")).toBe(1);
    s.clock.t += 1;
    expect(await second.take("a")).toBe(0);
  });

  it("under ML's limit, a 429 storm does not starve anyone: the sellers still share what is left", async () => {
    const s = setup({ initial: 50, min: 1, max: 1_000 });
    const sellers = Array.from({ length: 4 }, (_, i) => ({ id: `s${i}`, gapMs: 1 }));
    let lastNote = -Infinity;
    // ML refuses whenever our rate is above 30/s: the budget settles around it.
    const grants = await simulate(s, sellers, 30_000, async (t) => {
      if (t - lastNote >= 200 && (await rateOf(s.budgets[0]!)) > 30) {
        lastNote = t;
        await s.budgets[0]!.noteRateLimited();
      }
    });
    const rate = await rateOf(s.budgets[0]!);
    expect(rate).toBeGreaterThan(20);
    expect(rate).toBeLessThanOrEqual(32);
    const counts = [...grants.values()];
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    for (const count of counts) expect(Math.abs(count - mean)).toBeLessThanOrEqual(0.2 * mean);
  });

  it("hears ML's 429 and its Retry-After from the transport, retried or not", async () => {
    const sandbox = await startMlSandbox({ port: 0, seed: 3, listings: 1, orders: 0, rateLimit: { perSecond: 0.5, retryAfter: true } });
    try {
      const s = setup({ initial: 50, min: 1, max: 1_000 });
      const [budget] = s.budgets as [MlCallBudget];
      const token = sandbox.issueToken().access_token;
      const heard: Array<number | undefined> = [];
      const noted: Array<Promise<void>> = [];
      const call = () =>
        mlTransport(
          { method: "GET", url: `${sandbox.url}/users/me`, headers: { authorization: `Bearer ${token}` }, retryUnsafe: true, endpoint: "GET /users/me" },
          {
            timeoutMs: 5_000,
            maxAttempts: 2,
            // The transport's own wait is not this test's subject.
            sleep: () => Promise.resolve(),
            onRateLimited: (retryAfterMs) => {
              heard.push(retryAfterMs);
              noted.push(budget.noteRateLimited(retryAfterMs));
            },
          },
        );
      expect((await call()).status).toBe(200);
      expect((await call()).status).toBe(429);
      expect(heard).toEqual([2_000, 2_000]);
      await Promise.all(noted);
      const state = await budget.state();
      expect(state.rate).toBeCloseTo(45, 6);
      expect(state.pausedUntil).toBe(s.clock.t + 2_000);
      expect(await budget.take("a")).toBe(2_000);
    } finally {
      await sandbox.close();
    }
  });

  it("leaves a 429 to the budget when the caller says so: returned after one attempt, heard once, other failures still retried", async () => {
    const sandbox = await startMlSandbox({ port: 0, seed: 3, listings: 1, orders: 0, rateLimit: { perSecond: 0.5 } });
    try {
      const token = sandbox.issueToken().access_token;
      let heard = 0;
      let slept = 0;
      const call = (retryRateLimited?: boolean) =>
        mlTransport(
          {
            method: "GET",
            url: `${sandbox.url}/users/me`,
            headers: { authorization: `Bearer ${token}` },
            retryUnsafe: true,
            endpoint: "GET /users/me",
            ...(retryRateLimited === undefined ? {} : { retryRateLimited }),
          },
          {
            timeoutMs: 5_000,
            maxAttempts: 3,
            sleep: () => {
              slept++;
              return Promise.resolve();
            },
            onRateLimited: () => {
              heard++;
            },
          },
        );
      expect((await call(false)).status).toBe(200);
      const refused = await call(false);
      expect([refused.status, refused.attempts, heard, slept]).toEqual([429, 1, 1, 0]);
      // Without a budget (the Worker's calls) the transport still retries it.
      const retried = await call();
      expect([retried.status, retried.attempts, heard, slept]).toEqual([429, 3, 4, 2]);
    } finally {
      await sandbox.close();
    }
  });

  it("is configured by ML_APP_RATE_*, at ML's documented 5 calls/s unless told, with the start between the bounds", () => {
    expect(parseJobsEnv({}).ml.appRate).toEqual({ initial: 5, min: 1, max: 1_000 });
    expect(parseJobsEnv({ ML_APP_RATE_PER_SECOND: "20", ML_APP_RATE_MAX_PER_SECOND: "40" }).ml.appRate).toEqual({ initial: 20, min: 1, max: 40 });
    expect(() => parseJobsEnv({ ML_APP_RATE_PER_SECOND: "50", ML_APP_RATE_MAX_PER_SECOND: "40" })).toThrow(EnvError);
    expect(() => parseJobsEnv({ ML_APP_RATE_PER_SECOND: "2", ML_APP_RATE_MIN_PER_SECOND: "3" })).toThrow(/ML_APP_RATE_PER_SECOND/);
  });
});
