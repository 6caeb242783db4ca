import { env } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { afterEach, expect, it, vi } from "vitest";
import { createWorkerDb } from "#db/client-worker";
import { users } from "#db/schema";
import { createApp } from "../src/app";
import { readConfig } from "../src/env";

afterEach(() => {
  vi.restoreAllMocks();
});

it("an unexpected 5xx from a failed query logs Postgres' code, never the query or its parameters", async () => {
  const email = `leak-${crypto.randomUUID()}@example.com`;
  const config = readConfig(env as unknown as Record<string, string>);
  // Neon's HTTP driver, as the Worker's requests use it.
  const db = createWorkerDb({ databaseUrl: config.DATABASE_URL, neonHttpEndpoint: config.NEON_HTTP_ENDPOINT });
  const app = createApp();
  // A real DrizzleQueryError, raised where a handler would meet it: its message quotes the email.
  app.get("/__test/failing-query", async (c) => {
    await db
      .select()
      .from(users)
      .where(and(eq(users.email, email), eq(users.id, "not-a-uuid")));
    return c.body(null, 204);
  });
  const lines: string[] = [];
  vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)));

  const response = await app.request("/__test/failing-query", {}, env);

  expect(response.status).toBe(500);
  expect(await response.text()).not.toContain(email);
  const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === "unhandled error");
  expect(logged).toMatchObject({ level: "error", error: "database query failed: 22P02 invalid_text_representation" });
  expect(logged!.stack).toMatch(/^\s+at /);
  expect(lines.join("\n")).not.toContain(email);
  expect(lines.join("\n")).not.toContain("select");
});
