import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema";

/**
 * What queries are written against: both the Worker's Neon HTTP client and the jobs
 * container's node-postgres pool satisfy it, so one query module serves both runtimes.
 */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/**
 * Runs `fn` in one interactive transaction. The one-shot `Database` cannot hold a row lock
 * across statements in the Worker (Neon over HTTP), so code that locks takes this instead:
 * the Worker opens a Neon Pool over WebSocket, jobs use node-postgres.
 */
export type RunInTransaction = <T>(fn: (tx: Database) => Promise<T>) => Promise<T>;

/** Rows of a raw `db.execute`: node-postgres returns `{rows}`, Neon HTTP an array-like result. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
