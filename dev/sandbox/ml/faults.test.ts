import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { MlSandbox } from "./index";
import { api, control, startTestSandbox, type Api } from "./test-helpers";

let sb: MlSandbox;
let seller: Api;
let other: Api;
beforeAll(async () => {
  sb = await startTestSandbox();
  seller = api(sb);
  other = api(sb, sb.issueToken(sb.sellers.second.id).access_token);
});
afterAll(() => sb.close());
afterEach(async () => {
  await control(sb, "DELETE", "/_sandbox/faults");
  await control(sb, "DELETE", "/_sandbox/counters");
});

describe("fault injection", () => {
  it("answers 429 with Retry-After when configured", async () => {
    await control(sb, "PUT", "/_sandbox/faults", { rules: [{ rateLimitRate: 1, retryAfterSeconds: 3, times: 1 }] });
    const res = await seller.get("/users/me");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(res.body).toMatchObject({ error: "local_rate_limited", status: 429 });
    expect((await seller.get("/users/me")).status).toBe(200);
  });

  it("answers 429 without Retry-After by default, as ML does", async () => {
    await control(sb, "PUT", "/_sandbox/faults", { rules: [{ rateLimitRate: 1 }] });
    const res = await seller.get("/users/me");
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBeNull();
  });

  it("injects 5xx only on the matched path", async () => {
    await control(sb, "PUT", "/_sandbox/faults", { rules: [{ match: { path: "/orders/search" }, errorRate: 1, errorStatus: 503 }] });
    expect((await seller.get(`/orders/search?seller=${sb.sellers.demo.id}`)).status).toBe(503);
    expect((await seller.get("/users/me")).status).toBe(200);
  });

  it("scopes faults to one account", async () => {
    await control(sb, "PUT", "/_sandbox/faults", { account: sb.sellers.second.id, rules: [{ errorRate: 1 }] });
    expect((await other.get("/users/me")).status).toBe(500);
    expect((await seller.get("/users/me")).status).toBe(200);
  });

  it("adds latency", async () => {
    await control(sb, "PUT", "/_sandbox/faults", { rules: [{ latencyMs: 150 }] });
    const t0 = performance.now();
    expect((await seller.get("/users/me")).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it("hangs a request until the client gives up", async () => {
    await control(sb, "PUT", "/_sandbox/faults", { rules: [{ hangRate: 1, hangMs: 10_000, times: 1 }] });
    const err = await fetch(`${sb.url}/users/me`, { headers: { authorization: `Bearer ${seller.token}` }, signal: AbortSignal.timeout(200) }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    sb.faults.releaseHangs();
    expect((await seller.get("/users/me")).status).toBe(200);
  });

  it("never faults the control endpoints", async () => {
    await control(sb, "PUT", "/_sandbox/faults", { rules: [{ errorRate: 1 }] });
    expect((await control(sb, "GET", "/_sandbox/state")).status).toBe(200);
  });
});

describe("call counters", () => {
  it("counts by method and route pattern, including faulted calls, and resets", async () => {
    const ids = (sb.ctx.state.sellerItems.get(sb.sellers.demo.id) as string[]).slice(0, 3);
    for (const id of ids) await seller.get(`/items/${id}`);
    await seller.get(`/items?ids=${ids.join(",")}`);
    await seller.get(`/orders/search?seller=${sb.sellers.demo.id}`);
    await control(sb, "PUT", "/_sandbox/faults", { rules: [{ errorRate: 1, times: 1 }] });
    await seller.get(`/items/${ids[0]}`);
    const res = await control(sb, "GET", "/_sandbox/counters");
    expect(res.body.counts).toEqual({ "GET /items/:id": 4, "GET /items": 1, "GET /orders/search": 1 });
    expect(res.body.detail["GET /items/:id"].byStatus).toEqual({ "200": 3, "500": 1 });
    await control(sb, "DELETE", "/_sandbox/counters");
    expect((await control(sb, "GET", "/_sandbox/counters")).body.total).toBe(0);
  });
});
