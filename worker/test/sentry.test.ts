import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { AppError } from "#core/errors";
import { createApp } from "../src/app";

declare module "vitest" {
  export interface ProvidedContext {
    sentrySink: string;
  }
}

/**
 * The Worker's error reports, received by a stand-in for Sentry's ingest (test/support/sentry-sink.ts,
 * started by the global setup): what a 5xx sends, that secrets in the failing request or its error
 * never leave, and that nothing is sent for other answers or without SENTRY_DSN.
 */
const sink = inject("sentrySink");

interface Received {
  total: number;
  envelopes: { raw: string; items: { header: { type?: string }; payload: Record<string, unknown> }[] }[];
}

async function received(project: string): Promise<Received> {
  const response = await fetch(`${sink}/_sink/${project}`);
  return (await response.json()) as Received;
}

const events = (got: Received) => got.envelopes.flatMap((envelope) => envelope.items.filter((item) => item.header.type === "event").map((item) => item.payload));

/** Sentry project ids are numeric; one per test keeps their envelopes apart. */
const newProject = () => String(Math.floor(Math.random() * 1e9) + 1);
const dsnFor = (project: string) => `http://sinkpublickey@${new URL(sink).host}/${project}`;

// Planted in the failing request and in its error: none may reach the sink.
const email = `buyer-${crypto.randomUUID()}@example.com`;
const bearer = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU";
const accessToken = "APP_USR-1234567890123456-120714-0123456789abcdef0123456789abcdef-123456789";
const cookie = `session=${crypto.randomUUID().replaceAll("-", "")}${crypto.randomUUID().replaceAll("-", "")}`;
const bodySecret = `body-secret-${crypto.randomUUID()}`;

function appWithFailingRoutes() {
  const app = createApp();
  app.post("/__test/orders/:id/fail", () => {
    throw new Error(`ML call failed for ${email} with access_token=${accessToken} (Authorization: Bearer ${bearer})`);
  });
  app.get("/__test/unavailable", () => {
    throw new AppError("unavailable", "QStash could not be reached.", { retryAfterSeconds: 5 });
  });
  app.get("/__test/conflict", () => {
    throw new AppError("conflict", "A sync is already running.");
  });
  return app;
}

async function call(app: ReturnType<typeof createApp>, path: string, bindings: Record<string, unknown>, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const response = await app.request(path, init, bindings, ctx);
  // The report is sent in waitUntil, after the answer: this waits for it, flush included.
  await waitOnExecutionContext(ctx);
  return response;
}

const plantedRequest: RequestInit = {
  method: "POST",
  headers: { authorization: `Bearer ${bearer}`, cookie, "content-type": "application/json", "cf-connecting-ip": "192.0.2.77" },
  body: JSON.stringify({ password: bodySecret, email }),
};

describe("Sentry in the Worker", () => {
  it("reports an unhandled error's 500 with the request id, route and status, and nothing secret", async () => {
    const project = newProject();
    const app = appWithFailingRoutes();
    const response = await call(app, `/__test/orders/2000001/fail?email=${encodeURIComponent(email)}&code=${bodySecret}`, { ...env, SENTRY_DSN: dsnFor(project) }, plantedRequest);

    expect(response.status).toBe(500);
    const requestId = response.headers.get("x-request-id");
    const got = await received(project);
    const [event, ...more] = events(got);
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      level: "error",
      environment: "test",
      tags: { request_id: requestId, method: "POST", route: "/__test/orders/:id/fail", status: "500", code: "internal" },
    });
    const exception = (event!.exception as { values: { type: string; value: string }[] }).values.at(-1)!;
    expect(exception.type).toBe("Error");
    expect(exception.value).toContain("[email]");
    expect(exception.value).toContain("access_token=[redacted]");
    expect(event).not.toHaveProperty("request");
    expect(event).not.toHaveProperty("user");

    const everything = got.envelopes.map((envelope) => envelope.raw).join("\n");
    for (const secret of [email, encodeURIComponent(email), bearer, accessToken, cookie, bodySecret, "2000001", "192.0.2.77"]) {
      expect(everything).not.toContain(secret);
    }
  });

  it("reports a 5xx answer of our own (503 unavailable) with its code, once a minute while it repeats", async () => {
    const project = newProject();
    const bindings = { ...env, SENTRY_DSN: dsnFor(project) };
    const response = await call(appWithFailingRoutes(), "/__test/unavailable", bindings);
    // An outage answers every request the same way: the isolate reports it once per window, not per request.
    expect((await call(appWithFailingRoutes(), "/__test/unavailable", bindings)).status).toBe(503);

    expect(response.status).toBe(503);
    expect(events(await received(project))).toMatchObject([{ tags: { request_id: response.headers.get("x-request-id"), status: "503", code: "unavailable" } }]);
  });

  it("reports a refused configuration (500 bad_environment) through the raw DSN binding", async () => {
    const project = newProject();
    const response = await call(appWithFailingRoutes(), "/__test/unavailable", { ...env, JWT_SECRET: "short", SENTRY_DSN: dsnFor(project) });

    expect(response.status).toBe(500);
    const [event] = events(await received(project));
    expect(event).toMatchObject({ tags: { code: "bad_environment", status: "500" } });
    expect(JSON.stringify(event)).not.toContain((env as unknown as Record<string, string>).JWT_SECRET!);
  });

  it("sends nothing for a 4xx, and nothing at all without SENTRY_DSN", async () => {
    const project = newProject();
    const before = (await received(project)).total;
    const app = appWithFailingRoutes();

    expect((await call(app, "/__test/conflict", { ...env, SENTRY_DSN: dsnFor(project) })).status).toBe(409);
    expect((await call(app, "/__test/orders/1/fail", { ...env }, plantedRequest)).status).toBe(500);
    // A report that is sent after both, and waited for: had either sent anything, it would be here by now.
    expect((await call(app, "/__test/unavailable", { ...env, SENTRY_DSN: dsnFor(project) })).status).toBe(503);

    const after = await received(project);
    expect(after.total).toBe(before + 1);
    expect(events(after)).toMatchObject([{ tags: { status: "503" } }]);
  });
});
