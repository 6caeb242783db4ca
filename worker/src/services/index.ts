import { Redis } from "@upstash/redis/cloudflare";
import { createLogger, type Logger } from "../../../core/log";
import { createWorkerDb, type WorkerDb } from "../../../db/client-worker";
import type { Config } from "../env";

export interface Services {
  config: Config;
  db: WorkerDb;
  redis: Redis;
  /** Every key this deployment writes starts with this, so environments and test runs never collide. */
  key: (...parts: string[]) => string;
  logger: Logger;
  now: () => Date;
}

interface Clients {
  db: WorkerDb;
  redis: Redis;
}

/**
 * Clients hold no per-request state (both talk HTTP per call), so an isolate builds them once
 * per configuration: drizzle's schema set-up alone costs milliseconds that a request should not pay.
 */
const clientsByConfig = new WeakMap<Config, Clients>();

function clientsFor(config: Config): Clients {
  let clients = clientsByConfig.get(config);
  if (!clients) {
    clients = {
      db: createWorkerDb({ databaseUrl: config.DATABASE_URL, neonHttpEndpoint: config.NEON_HTTP_ENDPOINT }),
      redis: new Redis({
        url: config.UPSTASH_REDIS_REST_URL,
        token: config.UPSTASH_REDIS_REST_TOKEN,
        enableTelemetry: false,
        retry: { retries: 2, backoff: (attempt) => 50 * 2 ** attempt },
      }),
    };
    clientsByConfig.set(config, clients);
  }
  return clients;
}

/** The one place that builds what handlers use, per request. */
export function buildServices(config: Config, requestId: string): Services {
  return {
    config,
    ...clientsFor(config),
    key: (...parts) => [config.REDIS_KEY_PREFIX, ...parts].join(":"),
    logger: createLogger({ requestId, runtime: "worker" }, config.LOG_LEVEL),
    now: () => new Date(),
  };
}
