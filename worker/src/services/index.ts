import { Client as QStashClient } from "@upstash/qstash";
import { Redis } from "@upstash/redis/cloudflare";
import { createLogger, type Logger } from "#core/log";
import { AppError } from "#core/errors";
import { createMlServices, mlConfigFromEnv, type MlServices } from "#integrations/mercadolibre";
import { createTokenCipher, type TokenCipher } from "#core/token-cipher";
import { createRedisQuotaStore, createTinyServices, tinyConfigFromEnv, type TinyServices } from "#integrations/tiny";
import { createWorkerDb, withWorkerTransaction, type WorkerDb } from "#db/client-worker";
import type { RunInTransaction } from "#db/database";
import type { Config } from "../env";

export interface Services {
  config: Config;
  db: WorkerDb;
  redis: Redis;
  /** Every key this deployment writes starts with this, so environments and test runs never collide. */
  key: (...parts: string[]) => string;
  logger: Logger;
  now: () => Date;
  /** Publishes to QStash (webhook hand-off, replays); null when QSTASH_TOKEN is not configured. */
  qstash: QStashClient | null;
  /** An interactive transaction over Neon's WebSocket Pool, opened only when called. */
  transaction: RunInTransaction;
  /** MercadoLibre token manager and client; 503 when ML or TOKEN_ENCRYPTION_KEYS is not configured. */
  ml: () => Promise<MlServices>;
  /** Tiny ERP token manager and client (quota shared through Redis); 503 when Tiny or TOKEN_ENCRYPTION_KEYS is not configured. */
  tiny: () => Promise<TinyServices>;
}

interface Clients {
  db: WorkerDb;
  redis: Redis;
  qstash: QStashClient | null;
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
      // No client-side retry: the webhook handler must answer ML within 500 ms, and a failed
      // publish is better answered 5xx at once (ML retries) than retried into that deadline.
      qstash: config.QSTASH_TOKEN ? new QStashClient({ baseUrl: config.QSTASH_URL, token: config.QSTASH_TOKEN, retry: false, enableTelemetry: false }) : null,
    };
    clientsByConfig.set(config, clients);
  }
  return clients;
}

// Importing AES keys is async and costs a little; once per isolate and configuration is enough.
const ciphersByConfig = new WeakMap<Config, Promise<TokenCipher>>();

function cipherFor(config: Config): Promise<TokenCipher> {
  let cipher = ciphersByConfig.get(config);
  if (!cipher) {
    cipher = createTokenCipher(config.TOKEN_ENCRYPTION_KEYS ?? "");
    ciphersByConfig.set(config, cipher);
  }
  return cipher;
}

/** The one place that builds what handlers use, per request. */
export function buildServices(config: Config, requestId: string): Services {
  const clients = clientsFor(config);
  const logger = createLogger({ requestId, runtime: "worker" }, config.LOG_LEVEL);
  const now = () => new Date();
  const transaction: RunInTransaction = (fn) => withWorkerTransaction({ databaseUrl: config.DATABASE_URL, neonWsProxy: config.NEON_WS_PROXY }, fn);
  let ml: Promise<MlServices> | undefined;
  let tiny: Promise<TinyServices> | undefined;
  const key = (...parts: string[]) => [config.REDIS_KEY_PREFIX, ...parts].join(":");
  return {
    config,
    ...clients,
    key,
    logger,
    now,
    transaction,
    ml: () =>
      (ml ??= (async () => {
        const mlConfig = mlConfigFromEnv(config);
        if (!mlConfig || !config.TOKEN_ENCRYPTION_KEYS) {
          throw new AppError("unavailable", "The MercadoLibre integration is not configured on this server.", { retryable: false });
        }
        return createMlServices({ db: clients.db, transaction, cipher: await cipherFor(config), config: mlConfig, log: logger, now });
      })()),
    tiny: () =>
      (tiny ??= (async () => {
        const tinyConfig = tinyConfigFromEnv(config);
        if (!tinyConfig || !config.TOKEN_ENCRYPTION_KEYS) {
          throw new AppError("unavailable", "The Tiny ERP integration is not configured on this server.", { retryable: false });
        }
        const quotaStore = createRedisQuotaStore((script, keys, args) => clients.redis.eval(script, keys, args), key("tiny-quota"));
        return createTinyServices({ db: clients.db, transaction, cipher: await cipherFor(config), config: tinyConfig, quotaStore, log: logger, now });
      })()),
  };
}
