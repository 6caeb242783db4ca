import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as schema from "./schema";

/**
 * What queries are written against: both the Worker's Neon HTTP client and the jobs
 * container's node-postgres pool satisfy it, so one query module serves both runtimes.
 */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
