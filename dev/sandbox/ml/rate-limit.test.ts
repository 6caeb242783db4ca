import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ML_DOCUMENTED_APP_RATE_PER_SECOND, type MlSandbox } from "./index";
import { api, control, startTestSandbox, type Api } from "./test-helpers";

// Times are the sandbox clock's: a half-call-per-second limit refills only after 2 s, far longer
// than these requests take, and /_sandbox/clock/advance moves the clock on instead of waiting.

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
  await control(sb, "PUT", "/_sandbox/rate-limit", { perSecond: null, retryAfter: false });
  await control(sb, "DELETE", "/_sandbox/counters");
});

describe("the per-application rate limit", () => {
  it("is off unless asked for, at ML's documented 18,000 calls/h when asked without a number", async () => {
    expect((await control(sb, "GET", "/_sandbox/rate-limit")).body).toEqual({ perSecond: null, retryAfter: false });
    for (let i = 0; i < 20; i++) expect((await seller.get("/users/me")).status).toBe(200);
    expect(ML_DOCUMENTED_APP_RATE_PER_SECOND).toBe(5);
    const on = await startTestSandbox({ rateLimit: {} });
    try {
      expect((await control(on, "GET", "/_sandbox/rate-limit")).body).toEqual({ perSecond: 5, retryAfter: false });
    } finally {
      await on.close();
    }
  });

  it("counts every seller's calls against one application budget and answers 429 local_rate_limited, without Retry-After as ML documents none", async () => {
    await control(sb, "PUT", "/_sandbox/rate-limit", { perSecond: 0.5 });
    expect((await seller.get("/users/me")).status).toBe(200);
    const refused = await other.get("/users/me");
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ message: "Too many requests", error: "local_rate_limited", status: 429, cause: [] });
    expect(refused.headers.get("retry-after")).toBeNull();
    // A refused call takes nothing: two seconds later exactly one call passes again.
    await control(sb, "POST", "/_sandbox/clock/advance", { ms: 2_000 });
    expect((await other.get("/users/me")).status).toBe(200);
    expect((await seller.get("/users/me")).status).toBe(429);
    // Control endpoints are never limited; refused calls are counted as the client made them.
    expect((await control(sb, "GET", "/_sandbox/state")).status).toBe(200);
    expect((await control(sb, "GET", "/_sandbox/counters")).body.detail["GET /users/me"].byStatus).toEqual({ "200": 2, "429": 2 });
  });

  it("sends Retry-After when asked, and turns off", async () => {
    await control(sb, "PUT", "/_sandbox/rate-limit", { perSecond: 0.5, retryAfter: true });
    expect((await seller.get("/users/me")).status).toBe(200);
    const refused = await seller.get("/users/me");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("2");
    await control(sb, "PUT", "/_sandbox/rate-limit", { perSecond: null });
    expect((await seller.get("/users/me")).status).toBe(200);
  });
});
