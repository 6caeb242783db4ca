import { DatabaseError, neonConfig, Pool } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { localNeonConfig } from "./config";
import { createTestDatabase, type TestDatabase } from "./test-db";
import { startNeonWsProxy, type NeonWsProxy } from "./ws-proxy";

let db: TestDatabase;
let proxy: NeonWsProxy;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  proxy = await startNeonWsProxy({ port: 0 });
  neonConfig.webSocketConstructor = ws;
  Object.assign(neonConfig, localNeonConfig({ wsPort: proxy.port }));
  pool = new Pool({ connectionString: db.url, max: 3 });
  await pool.query("create table items (id serial primary key, name text not null, doc jsonb, at timestamptz, tags int[], note text)");
});

afterAll(async () => {
  await pool?.end();
  await proxy?.close();
  await db?.drop();
});

describe("Neon Pool over the local WebSocket proxy", () => {
  it("runs parameterised queries", async () => {
    const { rows } = await pool.query("select $1::int + 1 as n, current_database() as db", [41]);
    expect(rows).toEqual([{ n: 42, db: db.name }]);
  });

  it("round-trips jsonb, timestamptz, int[] and null", async () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    const doc = { k: "välue", n: [1, 2] };
    await pool.query("insert into items (name, doc, at, tags, note) values ($1, $2, $3, $4, $5)", ["rt", doc, at, [4, 5], null]);
    const { rows } = await pool.query("select doc, at, tags, note from items where name = 'rt'");
    expect(rows).toEqual([{ doc, at, tags: [4, 5], note: null }]);
  });

  it("keeps an interactive transaction on one connection", async () => {
    const client = await pool.connect();
    try {
      await client.query("begin");
      await client.query("insert into items (name) values ('in-tx')");
      expect((await client.query("select count(*)::int as n from items where name = 'in-tx'")).rows).toEqual([{ n: 1 }]);
      await client.query("rollback");
    } finally {
      client.release();
    }
    expect((await pool.query("select count(*)::int as n from items where name = 'in-tx'")).rows).toEqual([{ n: 0 }]);
  });

  it("passes Postgres errors through untouched", async () => {
    const err = await pool.query("select * from nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).code).toBe("42P01");
  });

  it("refuses targets outside the allowlist", async () => {
    const before = proxy.stats().refused;
    const outsider = new Pool({ connectionString: "postgres://postgres@127.0.0.1:5999/x", connectionTimeoutMillis: 3000 });
    await expect(outsider.query("select 1")).rejects.toThrow();
    await outsider.end();
    expect(proxy.stats().refused).toBe(before + 1);

    const status = await new Promise<number | undefined>((resolve) => {
      const sock = new ws(`ws://127.0.0.1:${proxy.port}/v2?address=10.0.0.1:5432`);
      sock.on("unexpected-response", (_req, res) => resolve(res.statusCode));
      sock.on("open", () => resolve(101));
      sock.on("error", () => {});
    });
    expect(status).toBe(403);
  });

  it("closes the Postgres side when the client goes away", async () => {
    const other = new Pool({ connectionString: db.url, max: 1 });
    await other.query("select 1");
    const open = proxy.stats().open;
    await other.end();
    for (let i = 0; i < 100 && proxy.stats().open >= open; i++) await new Promise((r) => setTimeout(r, 10));
    expect(proxy.stats().open).toBe(open - 1);
  });

  it("answers plain HTTP with 426", async () => {
    expect((await fetch(`${proxy.url}/v2?address=127.0.0.1:5432`)).status).toBe(426);
  });
});
