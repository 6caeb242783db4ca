import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropDatabase, ensureDatabase, migrateDatabase } from "../migrate";

const url = `postgres://postgres@127.0.0.1:5432/autoecom_test_${randomBytes(4).toString("hex")}`;
let client: pg.Client;

beforeAll(async () => {
  await ensureDatabase(url);
  await migrateDatabase(url);
  client = new pg.Client({ connectionString: url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  await dropDatabase(url);
});

const insertUser = (email: string) => client.query("insert into users (id, email, password_hash) values (gen_random_uuid(), $1, 'x') returning id", [email]);

describe("migrations", () => {
  it("apply to an empty database and are idempotent", async () => {
    await migrateDatabase(url);
    const tables = await client.query("select tablename from pg_tables where schemaname = 'public' order by 1");
    expect(tables.rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(["refresh_tokens", "sessions", "users"]));
  });

  it("are in step with the drizzle schema: generating finds nothing new", () => {
    const out = mkdtempSync(join(tmpdir(), "drizzle-check-"));
    try {
      // Generate into a copy of the committed migrations; a schema change without its migration adds a file.
      execFileSync("cp", ["-r", "db/migrations/.", out]);
      const before = readdirSync(out).filter((f) => f.endsWith(".sql")).length;
      execFileSync(process.execPath, ["node_modules/drizzle-kit/bin.cjs", "generate", "--dialect", "postgresql", "--schema", "db/schema/index.ts", "--out", out], {
        stdio: "pipe",
      });
      const after = readdirSync(out).filter((f) => f.endsWith(".sql")).length;
      expect(after, "db/schema changed without a committed migration: run npm run db:generate").toBe(before);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe("constraints the database enforces", () => {
  it("keeps one account per email", async () => {
    await insertUser("one@example.com");
    await expect(insertUser("one@example.com")).rejects.toMatchObject({ code: "23505" });
  });

  it("accepts only normalised emails", async () => {
    await expect(insertUser("Mixed@Example.com")).rejects.toMatchObject({ code: "23514" });
    await expect(insertUser(" padded@example.com")).rejects.toMatchObject({ code: "23514" });
  });

  it("removes a user's sessions and refresh tokens with the user", async () => {
    const { rows } = await insertUser("cascade@example.com");
    const userId = rows[0].id as string;
    const session = await client.query("insert into sessions (id, user_id, expires_at) values (gen_random_uuid(), $1, now() + interval '1 day') returning id", [userId]);
    await client.query("insert into refresh_tokens (id, session_id, token_hash, expires_at) values (gen_random_uuid(), $1, 'h1', now() + interval '1 day')", [session.rows[0].id]);
    await client.query("delete from users where id = $1", [userId]);
    const left = await client.query("select (select count(*) from sessions where user_id = $1) as s, (select count(*) from refresh_tokens where token_hash = 'h1') as t", [userId]);
    expect(left.rows[0]).toEqual({ s: "0", t: "0" });
  });

  it("stores each refresh-token hash once", async () => {
    const { rows } = await insertUser("hash@example.com");
    const session = await client.query("insert into sessions (id, user_id, expires_at) values (gen_random_uuid(), $1, now() + interval '1 day') returning id", [rows[0].id]);
    const add = () => client.query("insert into refresh_tokens (id, session_id, token_hash, expires_at) values (gen_random_uuid(), $1, 'same', now())", [session.rows[0].id]);
    await add();
    await expect(add()).rejects.toMatchObject({ code: "23505" });
  });
});
