import { neon, neonConfig } from "@neondatabase/serverless";
import { drizzle } from "drizzle-orm/neon-http";
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
