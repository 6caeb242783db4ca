import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { mountCommonControl } from "./control";
import { createCallCounters } from "./counters";
import { createFaultInjector, pathMatches } from "./faults";

function appWith(seed = 1) {
  const faults = createFaultInjector({ seed, accountOf: (c) => c.req.header("x-account") });
  const counters = createCallCounters();
  const app = new Hono();
  app.use("*", counters.middleware);
  app.use("*", faults.middleware);
  mountCommonControl(app, { faults, counters });
  app.get("/things/:id", (c) => c.json({ id: c.req.param("id") }));
  app.get("/things", (c) => c.json([]));
  return { app, faults, counters };
}

const call = (app: Hono, path: string, headers: Record<string, string> = {}) => app.request(path, { headers });

describe("path patterns", () => {
  it("matches exact, single-segment and suffix wildcards", () => {
    expect(pathMatches("/things/*", "/things/1")).toBe(true);
    expect(pathMatches("/things/*", "/things/1/x")).toBe(false);
    expect(pathMatches("/things/**", "/things/1/x")).toBe(true);
    expect(pathMatches("/things", "/things")).toBe(true);
    expect(pathMatches("/things", "/other")).toBe(false);
  });
});

describe("fault injector", () => {
  it("injects 429 with and without Retry-After, for a limited number of calls", async () => {
    const { app, faults } = appWith();
    faults.add(undefined, { rateLimitRate: 1, retryAfterSeconds: 7, times: 1 });
    const first = await call(app, "/things/1");
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("7");
    expect((await call(app, "/things/1")).status).toBe(200);
    faults.add(undefined, { rateLimitRate: 1, times: 1 });
    const bare = await call(app, "/things/1");
    expect(bare.status).toBe(429);
    expect(bare.headers.has("retry-after")).toBe(false);
  });

  it("targets one account and one route", async () => {
    const { app, faults } = appWith();
    faults.set("acme", [{ match: { method: "GET", path: "/things/*" }, errorRate: 1, errorStatus: 502 }]);
    expect((await call(app, "/things/1", { "x-account": "acme" })).status).toBe(502);
    expect((await call(app, "/things", { "x-account": "acme" })).status).toBe(200);
    expect((await call(app, "/things/1", { "x-account": "other" })).status).toBe(200);
  });

  it("draws rates from the seed reproducibly", async () => {
    const run = async () => {
      const { app, faults } = appWith(5);
      faults.add(undefined, { errorRate: 0.5 });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await call(app, "/things/1")).status);
      return out;
    };
    const a = await run();
    expect(a).toEqual(await run());
    expect(new Set(a)).toEqual(new Set([200, 500]));
  });

  it("is configurable over the control endpoints", async () => {
    const { app } = appWith();
    const put = await app.request("/_sandbox/faults", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ rules: [{ errorRate: 1, errorStatus: 503 }] }) });
    expect(put.status).toBe(200);
    expect((await call(app, "/things/1")).status).toBe(503);
    const bad = await app.request("/_sandbox/faults", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ rules: [{ errorRate: 2 }] }) });
    expect(bad.status).toBe(400);
    await app.request("/_sandbox/faults", { method: "DELETE" });
    expect((await call(app, "/things/1")).status).toBe(200);
  });

  it("holds hung requests until released", async () => {
    const { app, faults } = appWith();
    faults.add(undefined, { hangRate: 1, hangMs: 60_000 });
    let settled = false;
    const pending = Promise.resolve(call(app, "/things/1")).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    faults.releaseHangs();
    expect((await pending).status).toBe(504);
  });
});

describe("call counters", () => {
  it("counts per method + route pattern and by status", async () => {
    const { app, counters, faults } = appWith();
    await call(app, "/things/1");
    await call(app, "/things/2");
    await call(app, "/things");
    await call(app, "/nope");
    faults.add(undefined, { errorRate: 1, times: 1 });
    await call(app, "/things/3");
    await call(app, "/_sandbox/counters");
    expect(counters.counts()).toEqual({ "GET /things/:id": 3, "GET /things": 1, "GET <unmatched>": 1 });
    expect(counters.snapshot()["GET /things/:id"]?.byStatus).toEqual({ "200": 2, "500": 1 });
    counters.reset();
    expect(counters.total()).toBe(0);
  });
});
