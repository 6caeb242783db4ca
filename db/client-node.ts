import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "./schema";

/** The jobs container talks to Postgres (Neon in production) over TCP with a small pool. */
export function createNodeDb(databaseUrl: string, options: { max?: number } = {}) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.max ?? 10, connectionTimeoutMillis: 5_000 });
  const db = drizzle({ client: pool, schema });
  return { db, pool, close: () => pool.end() };
}

export type NodeDb = ReturnType<typeof createNodeDb>["db"];
