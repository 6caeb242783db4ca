import { neon, neonConfig, Pool } from "@neondatabase/serverless";
import { eq } from "drizzle-orm";
import { drizzle as drizzleHttp } from "drizzle-orm/neon-http";
import { drizzle as drizzleWs } from "drizzle-orm/neon-serverless";
import { integer, jsonb, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import type { RunningServer } from "../lib/server";
import { localNeonConfig } from "./config";
import { startNeonHttpServer } from "./sql-http";
import { createTestDatabase, type TestDatabase } from "./test-db";
import { startNeonWsProxy } from "./ws-proxy";

const orders = pgTable("orders", {
  id: serial("id").primaryKey(),
  ref: text("ref").notNull().unique(),
  payload: jsonb("payload").$type<{ items: { sku: string; qty: number }[] }>(),
  placedAt: timestamp("placed_at", { withTimezone: true }).notNull().defaultNow(),
  tags: integer("tags").array(),
});

let db: TestDatabase;
let http: RunningServer;
let proxy: RunningServer;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  [http, proxy] = await Promise.all([startNeonHttpServer({ port: 0 }), startNeonWsProxy({ port: 0 })]);
  neonConfig.webSocketConstructor = ws;
  Object.assign(neonConfig, localNeonConfig({ httpPort: http.port, wsPort: proxy.port }));
  pool = new Pool({ connectionString: db.url, max: 2 });
  await neon(db.url)`create table orders (
    id serial primary key, ref text not null unique, payload jsonb,
    placed_at timestamptz not null default now(), tags integer[])`;
});

afterAll(async () => {
  await pool?.end();
  await Promise.all([http?.close(), proxy?.close()]);
  await db?.drop();
});

describe("drizzle-orm/neon-http", () => {
  it("inserts with returning and selects typed rows", async () => {
    const orm = drizzleHttp({ client: neon(db.url) });
    const placedAt = new Date("2026-11-29T10:00:00.000Z");
    const [created] = await orm
      .insert(orders)
      .values({ ref: "http-1", payload: { items: [{ sku: "A", qty: 2 }] }, placedAt, tags: [1, 2] })
      .returning();
    expect(created).toMatchObject({ ref: "http-1", placedAt, tags: [1, 2] });
    const rows = await orm.select().from(orders).where(eq(orders.ref, "http-1"));
    expect(rows).toEqual([created]);
  });

  it("runs db.batch atomically", async () => {
    const orm = drizzleHttp({ client: neon(db.url) });
    await expect(orm.batch([orm.insert(orders).values({ ref: "batch-1" }), orm.insert(orders).values({ ref: "batch-1" })])).rejects.toThrow();
    expect(await orm.select().from(orders).where(eq(orders.ref, "batch-1"))).toEqual([]);
  });
});

describe("drizzle-orm/neon-serverless", () => {
  it("inserts and selects through the Pool", async () => {
    const orm = drizzleWs({ client: pool });
    await orm.insert(orders).values({ ref: "ws-1", payload: { items: [] } });
    const [row] = await orm.select().from(orders).where(eq(orders.ref, "ws-1"));
    expect(row).toMatchObject({ ref: "ws-1", payload: { items: [] }, tags: null });
    expect(row!.placedAt).toBeInstanceOf(Date);
  });

  it("commits and rolls back interactive transactions", async () => {
    const orm = drizzleWs({ client: pool });
    await orm.transaction(async (tx) => {
      await tx.insert(orders).values({ ref: "tx-commit" });
    });
    await expect(
      orm.transaction(async (tx) => {
        await tx.insert(orders).values({ ref: "tx-rollback" });
        expect(await tx.select().from(orders).where(eq(orders.ref, "tx-rollback"))).toHaveLength(1);
        tx.rollback();
      }),
    ).rejects.toThrow(/Rollback/);
    const refs = (await orm.select({ ref: orders.ref }).from(orders)).map((r) => r.ref);
    expect(refs).toContain("tx-commit");
    expect(refs).not.toContain("tx-rollback");
  });
});
