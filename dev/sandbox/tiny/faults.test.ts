import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestSandbox, type TestSandbox } from "./test-helpers";

// Fault injection and call counters come from dev/sandbox/common; these tests pin how the Tiny
// sandbox renders injected failures (Tiny's bodies) and what it counts.

describe("Tiny sandbox fault injection and counters", () => {
  let t: TestSandbox;

  beforeAll(async () => {
    t = await startTestSandbox();
  });
  beforeEach(async () => {
    await t.control("DELETE", "/faults");
    await t.control("DELETE", "/counters");
  });
  afterAll(async () => {
    await t.sb.close();
  });

  it("injects 500 {mensagem} for the next N calls of one route, then recovers", async () => {
    const rule = await t.control("POST", "/faults", { rule: { match: { method: "GET", path: "/public-api/v3/produtos" }, errorRate: 1, times: 2 } });
    expect(rule.status).toBe(201);
    const a = await t.api("GET", "/produtos");
    expect(a.status).toBe(500);
    expect(a.json).toEqual({ mensagem: "Internal Server Error" });
    expect((await t.api("GET", "/produtos")).status).toBe(500);
    expect((await t.api("GET", "/produtos")).status).toBe(200);
    expect((await t.api("GET", "/info")).status).toBe(200);
  });

  it("injects Tiny-style 429s (empty body, no Retry-After) and empty 503s", async () => {
    await t.control("PUT", "/faults", { rules: [{ match: { path: "/public-api/v3/**" }, rateLimitRate: 1, times: 1 }] });
    const limited = await t.api("GET", "/info");
    expect(limited.status).toBe(429);
    expect(limited.text).toBe("");
    expect(limited.headers.get("retry-after")).toBeNull();
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    await t.control("POST", "/faults", { rule: { errorRate: 1, errorStatus: 503, times: 1 } });
    const down = await t.api("GET", "/info");
    expect(down.status).toBe(503);
    expect(down.text).toBe("");
  });

  it("scopes rules to the account and adds latency", async () => {
    await t.control("PUT", "/faults", { account: t.sb.state().account.id, rules: [{ latencyMs: 120, times: 1 }] });
    const started = Date.now();
    expect((await t.api("GET", "/info")).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  it("can fail the token endpoint but never the control API", async () => {
    await t.control("POST", "/faults", { rule: { errorRate: 1, match: { path: "/realms/tiny/**" } } });
    const res = await fetch(t.sb.tokenUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=refresh_token" });
    expect(res.status).toBe(500);
    await t.control("POST", "/faults", { rule: { errorRate: 1 } });
    expect((await t.control("GET", "")).status).toBe(200);
  });

  it("counts API calls per route and status, faulted ones included", async () => {
    await t.control("POST", "/faults", { rule: { match: { path: "/public-api/v3/info" }, errorRate: 1, times: 1 } });
    await t.api("GET", "/info");
    await t.api("GET", "/info");
    await t.api("GET", "/produtos/1");
    const counters = (await t.control("GET", "/counters")).json;
    expect(counters.counts["GET /public-api/v3/info"]).toBe(2);
    expect(counters.detail["GET /public-api/v3/info"].byStatus).toEqual({ "200": 1, "500": 1 });
    expect(counters.counts["GET /public-api/v3/produtos/:idProduto"]).toBe(1);
    expect(t.sb.counters.total()).toBe(3);
  });
});
