/**
 * Tiny ERP (Olist) API v3 for both runtimes: configuration, OAuth, the token manager (the one
 * source of access tokens), the company-wide quota and the client every Tiny call goes through.
 */
import type { Database, RunInTransaction } from "#db/database";
import type { Logger } from "#core/log";
import type { TokenCipher } from "#core/token-cipher";
import { createTinyClient, type TinyClient } from "./client";
import type { TinyConfig } from "./config";
import { createTinyQuota, type TinyQuotaStore } from "./quota";
import { createTinyTokenManager, type TinyTokenManager } from "./tokens";
import type { TinyTransportDeps } from "./transport";

export * from "./client";
export * from "./config";
export * from "./dates";
export * from "./errors";
export * from "./oauth";
export * from "./quota";
export * from "./schemas";
export * from "./tokens";
export { tinyCall, tinyEndpoint } from "./transport";
export type { TinyAuthProvider, TinyCall, TinyCallAuth, TinyMethod, TinyQuery, TinyTransportDeps } from "./transport";

export interface TinyServices {
  config: TinyConfig;
  tokens: TinyTokenManager;
  client: TinyClient;
  /** Transport settings for calls made outside an account (the connect callback's GET /info). */
  transport: TinyTransportDeps;
}

/** Wires token manager, quota and client over one database, cipher and quota store; each runtime calls this. */
export function createTinyServices(deps: {
  db: Database;
  transaction: RunInTransaction;
  cipher: TokenCipher;
  config: TinyConfig;
  quotaStore: TinyQuotaStore;
  log: Logger;
  now?: () => Date;
  fetch?: typeof fetch;
  /** How long a call may wait for the shared quota (the Worker keeps it short, jobs wait out a window). */
  maxQuotaWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}): TinyServices {
  const tokens = createTinyTokenManager({
    db: deps.db,
    transaction: deps.transaction,
    cipher: deps.cipher,
    config: deps.config,
    log: deps.log,
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const quota = createTinyQuota({ store: deps.quotaStore, settings: deps.config.quota });
  const transport: TinyTransportDeps = {
    config: deps.config,
    quota,
    log: deps.log,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.maxQuotaWaitMs === undefined ? {} : { maxQuotaWaitMs: deps.maxQuotaWaitMs }),
  };
  return { config: deps.config, tokens, client: createTinyClient({ ...transport, tokens }), transport };
}
export * from "./orders-api";
