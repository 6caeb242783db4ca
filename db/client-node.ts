import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import type { RunInTransaction } from "./database";
import * as schema from "./schema";

/** The jobs container talks to Postgres (Neon in production) over TCP with a small pool. */
export function createNodeDb(databaseUrl: string, options: { max?: number } = {}) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10, connectionTimeoutMillis: 5_000 });
  const db = drizzle({ client: pool, schema });
  return { db, pool, close: () => pool.end() };
}

export type NodeDb = ReturnType<typeof createNodeDb>["db"];

/** A pooled connection holds a transaction as is, so node-postgres needs none of the Worker's WebSocket set-up. */
export function nodeTransaction(db: NodeDb): RunInTransaction {
  return (fn) => db.transaction((tx) => fn(tx));
}
