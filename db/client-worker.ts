import { Pool, neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
import { drizzle as drizzlePool } from "drizzle-orm/neon-serverless";
import type { Database } from "./database";
import * as schema from "./schema";

export interface WorkerDbConfig {
  databaseUrl: string;
  /**
   * Only for local development and tests: the SQL-over-HTTP endpoint that stands in for
   * Neon's (dev/neon). Unset in production, where the driver derives it from the host.
   */
  neonHttpEndpoint?: string | undefined;
}

/** Neon over HTTP: one round trip per query and no connection to keep, which suits a Worker request. */
export function createWorkerDb(config: WorkerDbConfig) {
  if (config.neonHttpEndpoint) {
    const endpoint = config.neonHttpEndpoint;
    neonConfig.fetchEndpoint = () => endpoint;
  }
  return drizzle({ client: neon(config.databaseUrl), schema });
}

export type WorkerDb = ReturnType<typeof createWorkerDb>;

export interface WorkerPoolConfig {
  databaseUrl: string;
  /**
   * Only for local development and tests: host:port/path of the WebSocket proxy standing in
   * for Neon's (dev/neon). Unset in production, where the driver uses Neon's own proxy.
   */
  neonWsProxy?: string | undefined;
}

/**
 * One interactive transaction (SELECT … FOR UPDATE and friends) over Neon's WebSocket
 * driver. A Worker may not keep sockets across requests, so each call opens a one-connection
 * Pool and ends it afterwards; only the rare paths that need a lock pay for it.
 */
export async function withWorkerTransaction<T>(config: WorkerPoolConfig, fn: (tx: Database) => Promise<T>): Promise<T> {
  if (config.neonWsProxy) {
    const proxy = config.neonWsProxy;
    neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
    // Plain ws:// to the local proxy, and no pipelined cleartext auth (local Postgres uses trust or SCRAM).
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineConnect = false;
    neonConfig.pipelineTLS = false;
  }
  const pool = new Pool({ connectionString: config.databaseUrl, max: 1 });
  // An idle-client error must not surface as an unhandled event; the query itself reports failures.
  pool.on("error", () => undefined);
  try {
    const db = drizzlePool({ client: pool, schema });
    return await db.transaction((tx) => fn(tx as unknown as Database));
  } finally {
    await pool.end().catch(() => undefined);
  }
}
