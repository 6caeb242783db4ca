import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestSandbox, type TestSandbox } from "./test-helpers";

// Tiny's quota is per account (every app and token of the account shares it), split into read
// and write buckets plus a 4 req/s burst bucket; a 429 has no body and no Retry-After.

describe("Tiny per-account quotas", () => {
  let t: TestSandbox;

  beforeAll(async () => {
    t = await startTestSandbox({ quotas: { enabled: true, readPerMinute: 5, writePerMinute: 3, burstPerSecond: null } });
  });
  beforeEach(() => {
    t.sb.quotas.configure({ enabled: true, readPerMinute: 5, writePerMinute: 3, burstPerSecond: null });
    t.sb.quotas.reset();
  });
  afterAll(async () => {
    await t.sb.close();
  });

  const headers = (h: Headers) => ({ limit: h.get("x-ratelimit-limit"), remaining: h.get("x-ratelimit-remaining"), reset: h.get("x-ratelimit-reset") });

  it("sends X-RateLimit-Limit/Remaining/Reset on every response, counting down", async () => {
    const a = await t.api("GET", "/info");
    expect(headers(a.headers)).toEqual({ limit: "5", remaining: "4", reset: "60" });
    const b = await t.api("GET", "/produtos/1");
    expect(b.status).toBe(404);
    expect(headers(b.headers)).toMatchObject({ limit: "5", remaining: "3" });
  });

  it("answers 429 with an empty body, no Retry-After, and the seconds left in the window", async () => {
    for (let i = 0; i < 5; i++) expect((await t.api("GET", "/info")).status).toBe(200);
    t.sb.clock.advance(20_000);
    const limited = await t.api("GET", "/info");
    expect(limited.status).toBe(429);
    expect(limited.text).toBe("");
    expect(limited.headers.get("retry-after")).toBeNull();
    expect(headers(limited.headers)).toEqual({ limit: "5", remaining: "0", reset: "40" });
    t.sb.clock.advance(40_000);
    expect((await t.api("GET", "/info")).status).toBe(200);
  });

  it("keeps read and write buckets apart", async () => {
    for (let i = 0; i < 5; i++) await t.api("GET", "/info");
    expect((await t.api("GET", "/info")).status).toBe(429);
    const write = await t.api("POST", "/contatos", { nome: "Quota" });
    expect(write.status).toBe(200);
    expect(headers(write.headers)).toMatchObject({ limit: "3", remaining: "2" });
    await t.api("POST", "/contatos", { nome: "Quota 2" });
    await t.api("POST", "/contatos", { nome: "Quota 3" });
    expect((await t.api("POST", "/contatos", { nome: "Quota 4" })).status).toBe(429);
  });

  it("shares the quota between all tokens of the account", async () => {
    const other = (await t.sb.issueTokens()).access_token;
    for (let i = 0; i < 3; i++) await t.api("GET", "/info");
    for (let i = 0; i < 2; i++) expect((await t.api("GET", "/info", undefined, other)).status).toBe(200);
    expect((await t.api("GET", "/info", undefined, other)).status).toBe(429);
    expect((await t.api("GET", "/info")).status).toBe(429);
  });

  it("enforces the burst bucket (4/s by default) with Limit 4 and Reset 1", async () => {
    t.sb.quotas.configure({ readPerMinute: 60, burstPerSecond: 4 });
    const statuses: number[] = [];
    let limitedHeaders: Headers | null = null;
    for (let i = 0; i < 6; i++) {
      const r = await t.api("GET", "/info");
      statuses.push(r.status);
      if (r.status === 429) limitedHeaders = r.headers;
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(limitedHeaders && headers(limitedHeaders)).toEqual({ limit: "4", remaining: "0", reset: "1" });
    t.sb.clock.advance(1_000);
    expect((await t.api("GET", "/info")).status).toBe(200);
  });

  it("is configurable live through /_sandbox/quotas and does not meter unauthenticated calls", async () => {
    const res = await t.control("PUT", "/quotas", { readPerMinute: 1 });
    expect(res.json.readPerMinute).toBe(1);
    expect((await fetch(`${t.sb.apiUrl}/info`)).status).toBe(401);
    expect((await t.api("GET", "/info")).status).toBe(200);
    expect((await t.api("GET", "/info")).status).toBe(429);
    const usage = (await t.control("GET", "/quotas")).json.usage;
    expect(usage.read).toMatchObject({ limit: 1, used: 1 });
    await t.control("PUT", "/quotas", { enabled: false });
    expect((await t.api("GET", "/info")).status).toBe(200);
  });
});
