import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { api } from "./support/api";

declare module "vitest" {
  export interface ProvidedContext {
    sentrySink: string;
  }
}

/**
 * GET /health for an external uptime checker: the plain check (Postgres and Redis) and
 * `?deep=1`, which also reaches QStash with the Worker's token and the jobs container's /health.
 * The global setup's sink stands in for the container (`/_jobs/up` answers 200, `/_jobs/down` 503).
 */
const sink = inject("sentrySink");
const base = env as unknown as Record<string, string>;

interface Report {
  status: string;
  checks: Record<string, { ok: boolean; latencyMs: number; error?: string }>;
}

async function jobsHealthCalls(): Promise<number> {
  const response = await fetch(`${sink}/_sink/0`);
  return ((await response.json()) as { jobsHealthCalls: number }).jobsHealthCalls;
}

describe("GET /health", () => {
  it("plain: database and Redis only; QStash and the container are not called", async () => {
    const bindings = { ...base, JOBS_PUBLIC_URL: `${sink}/_jobs/up` };
    const before = await jobsHealthCalls();
    const response = await api<Report>("/health", { bindings });

    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.body).toMatchObject({ status: "ok", checks: { database: { ok: true }, redis: { ok: true } } });
    expect(Object.keys(response.body.checks).sort()).toEqual(["database", "redis"]);
    expect(await jobsHealthCalls()).toBe(before);
  });

  it("deep=1, all up: 200 with QStash and the jobs container checked too", async () => {
    const bindings = { ...base, JOBS_PUBLIC_URL: `${sink}/_jobs/up` };
    const before = await jobsHealthCalls();
    const response = await api<Report>("/health?deep=1", { bindings });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: "ok", checks: { database: { ok: true }, redis: { ok: true }, qstash: { ok: true }, jobs: { ok: true } } });
    expect(await jobsHealthCalls()).toBe(before + 1);

    // A second deep check right after is answered from the first: a flood of them costs QStash nothing more.
    expect((await api<Report>("/health?deep=1", { bindings })).status).toBe(200);
    expect(await jobsHealthCalls()).toBe(before + 1);
  });

  it("deep=1 with the container unhealthy: 503 naming the jobs check only", async () => {
    const response = await api<Report>("/health?deep=1", { bindings: { ...base, JOBS_PUBLIC_URL: `${sink}/_jobs/down` } });

    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({
      status: "unavailable",
      checks: { database: { ok: true }, redis: { ok: true }, qstash: { ok: true }, jobs: { ok: false, error: "unreachable" } },
    });
  });

  it("deep=1 with QStash refusing the token, or unreachable: 503 naming the qstash check", async () => {
    const refused = await api<Report>("/health?deep=1", { bindings: { ...base, QSTASH_TOKEN: "not-the-token", JOBS_PUBLIC_URL: `${sink}/_jobs/up` } });
    expect(refused.status).toBe(503);
    expect(refused.body.checks).toMatchObject({ qstash: { ok: false, error: "unreachable" }, jobs: { ok: true } });

    const unreachable = await api<Report>("/health?deep=1", { bindings: { ...base, QSTASH_URL: "http://127.0.0.1:9", JOBS_PUBLIC_URL: `${sink}/_jobs/up` } });
    expect(unreachable.status).toBe(503);
    expect(unreachable.body.checks).toMatchObject({ qstash: { ok: false, error: "unreachable" }, jobs: { ok: true } });
  });

  it("deep=1 with the container not reachable at all (the test stack's JOBS_PUBLIC_URL): 503, jobs unreachable", async () => {
    const response = await api<Report>("/health?deep=1", { bindings: { ...base } });

    expect(response.status).toBe(503);
    expect(response.body.checks.jobs).toMatchObject({ ok: false, error: "unreachable" });
  });

  it("refuses another value of deep", async () => {
    expect((await api("/health?deep=yes")).status).toBe(400);
  });
});
