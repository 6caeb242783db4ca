import type { Redis } from "ioredis";
import { errorFields, type Logger } from "#core/log";
import { createMlServices, mlDefaults } from "#integrations/mercadolibre";
import { createRedisQuotaStore, createTinyServices, tinyDefaults } from "#integrations/tiny";
import { createTokenCipher, type TokenCipher } from "#core/token-cipher";
import { nodeTransaction, type NodeDb } from "#db/client-node";
import type { JobsEnv } from "../env";
import { mlCallBudget } from "../processors/shared/ml-call-budget";
import type { JobServices } from "../processors/types";
import { JobMetrics } from "./metrics";

/**
 * What every job shares, built once at boot. The ML client exists only when the container is
 * configured for ML (app id, secret and token keys): without it ML jobs fail permanently with a
 * clear message instead of the container refusing to boot for jobs that need no ML.
 */
export async function buildJobServices(env: JobsEnv, deps: { db: NodeDb; redis: Redis; log: Logger }): Promise<JobServices> {
  const { appId, clientSecret, tokenKeys, apiUrl } = env.ml;
  let ml: JobServices["ml"] = null;
  let mlTokens: JobServices["mlTokens"] = null;
  // ML and Tiny seal under the same keys: one imported keyring serves both.
  let sharedCipher: Promise<TokenCipher> | undefined;
  const cipherOnce = (keys: string) => (sharedCipher ??= createTokenCipher(keys));
  if (appId && clientSecret && tokenKeys) {
    const budget = mlCallBudget({ redis: deps.redis, keyPrefix: env.redisKeyPrefix, rate: env.ml.appRate });
    const cipher = await cipherOnce(tokenKeys);
    const mlServices = createMlServices({
      db: deps.db,
      transaction: nodeTransaction(deps.db),
      cipher,
      config: {
        apiUrl,
        appId,
        clientSecret,
        // The jobs container never runs the OAuth redirect; only the Worker needs the URI.
        redirectUri: "",
        timeoutMs: mlDefaults.timeoutMs,
        maxAttempts: mlDefaults.maxAttempts,
        refreshMarginSeconds: mlDefaults.refreshMarginSeconds,
      },
      log: deps.log.child({ component: "ml" }),
      // ML's 429s slow the application's shared call budget down (processors/shared/ml-call-budget.ts).
      transport: {
        onRateLimited: (retryAfterMs) => {
          budget.noteRateLimited(retryAfterMs).catch((error: unknown) => deps.log.warn("could not record ML's 429 in the call budget", errorFields(error)));
        },
      },
    });
    ml = mlServices.client;
    mlTokens = mlServices.tokens;
  } else {
    deps.log.warn("ML is not configured (ML_APP_ID, ML_CLIENT_SECRET, TOKEN_ENCRYPTION_KEYS); ML jobs will fail");
  }
  return {
    redis: deps.redis,
    keyPrefix: env.redisKeyPrefix,
    ml,
    mlTokens,
    mlAppId: appId,
    mlLimits: { accountConcurrency: env.ml.accountConcurrency, appRate: env.ml.appRate },
    metrics: new JobMetrics(),
    tiny: await buildTiny(env, deps, tokenKeys ? () => cipherOnce(tokenKeys) : null),
    retention: env.retention,
  };
}

async function buildTiny(env: JobsEnv, deps: { db: NodeDb; redis: Redis; log: Logger }, cipher: (() => Promise<TokenCipher>) | null): Promise<JobServices["tiny"]> {
  const { clientId, clientSecret, apiUrl, authUrl, quota } = env.tiny;
  if (!clientId || !clientSecret || !cipher) {
    deps.log.warn("Tiny is not configured (TINY_CLIENT_ID, TINY_CLIENT_SECRET, TOKEN_ENCRYPTION_KEYS); Tiny jobs will fail");
    return null;
  }
  // Same keys as the Worker's: every caller of one Tiny company, in either runtime, draws from one budget.
  const quotaStore = createRedisQuotaStore((script, keys, args) => deps.redis.eval(script, keys.length, ...keys, ...args), `${env.redisKeyPrefix}:tiny-quota`);
  return createTinyServices({
    db: deps.db,
    transaction: nodeTransaction(deps.db),
    cipher: await cipher(),
    config: {
      apiUrl,
      authUrl,
      clientId,
      clientSecret,
      // The jobs container never runs the OAuth redirect; only the Worker needs the URI.
      redirectUri: "",
      timeoutMs: tinyDefaults.timeoutMs,
      maxAttempts: tinyDefaults.maxAttempts,
      refreshMarginSeconds: tinyDefaults.refreshMarginSeconds,
      quota,
    },
    quotaStore,
    log: deps.log.child({ component: "tiny" }),
  });
}
