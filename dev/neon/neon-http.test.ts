import { neon, neonConfig, NeonDbError } from "@neondatabase/serverless";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../lib/server";
import { localNeonConfig } from "./config";
import { startNeonHttpServer } from "./sql-http";
import { createTestDatabase, type TestDatabase } from "./test-db";

let db: TestDatabase;
let server: RunningServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startNeonHttpServer({ port: 0 });
  Object.assign(neonConfig, localNeonConfig({ httpPort: server.port }));
  await neon(db.url)`create table items (
    id serial primary key, name text unique not null, doc jsonb, at timestamptz, tags int[], note text)`;
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

describe("neon() over the local /sql endpoint", () => {
  it("binds parameters in tagged templates and sql.query", async () => {
    const sql = neon(db.url);
    expect(await sql`select ${1}::int + ${41}::int as n, ${"héllo"}::text as s`).toEqual([{ n: 42, s: "héllo" }]);
    expect(await sql.query("select $1::text as t", ["x"])).toEqual([{ t: "x" }]);
  });

  it("round-trips jsonb, timestamptz, int[], bytea and null", async () => {
    const sql = neon(db.url);
    const at = new Date("2026-11-29T12:34:56.789Z");
    const doc = { a: 1, nested: { s: "ü", list: [1, null] } };
    await sql`insert into items (name, doc, at, tags, note) values ('rt', ${doc}, ${at}, ${[1, 2, 3]}, ${null})`;
    const [row] = await sql`select doc, at, tags, note, ${Buffer.from([0, 255])} as bin from items where name = 'rt'`;
    expect(row).toEqual({ doc, at, tags: [1, 2, 3], note: null, bin: Buffer.from([0, 255]) });
  });

  it("supports array mode and full results", async () => {
    const sql = neon(db.url, { arrayMode: true, fullResults: true });
    const res = await sql`select 1 as one, 'a' as letter`;
    expect(res.rows).toEqual([[1, "a"]]);
    expect(res.fields.map((f) => f.name)).toEqual(["one", "letter"]);
    expect(res).toMatchObject({ command: "SELECT", rowCount: 1 });
  });

  it("rolls back a batch transaction when one statement fails", async () => {
    const sql = neon(db.url);
    const err = await sql.transaction([sql`insert into items (name) values ('tx-1')`, sql`insert into items (name) values ('tx-2')`, sql`select * from missing_table`]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeonDbError);
    expect((err as NeonDbError).code).toBe("42P01");
    expect(await sql`select count(*)::int as n from items where name like 'tx-%'`).toEqual([{ n: 0 }]);
  });

  it("applies the batch isolation level and read-only flag", async () => {
    const sql = neon(db.url);
    const [iso, ro] = await sql.transaction([sql`show transaction_isolation`, sql`show transaction_read_only`], { isolationLevel: "RepeatableRead", readOnly: true });
    expect(iso).toEqual([{ transaction_isolation: "repeatable read" }]);
    expect(ro).toEqual([{ transaction_read_only: "on" }]);
  });

  it("reports Postgres errors with their fields", async () => {
    const sql = neon(db.url);
    await expect(sql`select * from nope`).rejects.toMatchObject({ name: "NeonDbError", code: "42P01", severity: "ERROR" });
    await sql`insert into items (name) values ('dup')`;
    await expect(sql`insert into items (name) values ('dup')`).rejects.toMatchObject({
      code: "23505",
      constraint: "items_name_key",
      table: "items",
      detail: expect.stringContaining("already exists"),
    });
    // Neon runs every query through the extended protocol, which refuses several statements at once.
    await expect(sql.query("select 1; select 2")).rejects.toMatchObject({ code: "42601" });
  });

  it("refuses databases outside the allowlist and malformed requests", async () => {
    await expect(neon("postgres://postgres@127.0.0.1:5999/x")`select 1`).rejects.toThrow(/403.*not allowed/);
    const res = await fetch(`${server.url}/sql`, { method: "POST", body: "{}" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: "missing Neon-Connection-String header" });
  });
});
