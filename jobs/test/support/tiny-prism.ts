import { createMemoryQuotaStore, createTinyServices, tinyDefaults, type TinyServices } from "#integrations/tiny";
import { createTokenCipher, generateTokenKey } from "#core/token-cipher";
import type { Database } from "#db/database";
import type { TinySandbox } from "#dev/sandbox/tiny";
import { memoryLogger } from "./resources";

/**
 * Tiny services whose API calls go through a Prism proxy in front of the sandbox, with quotas out
 * of the way: what contract tests of our client need. Keycloak's token endpoint is not part of the
 * v3 spec, so it goes to the sandbox directly.
 */
export async function tinyServicesThroughPrism(input: { db: Database; sandbox: TinySandbox; prismUrl: string; fetch: typeof fetch; keyId: string }): Promise<TinyServices> {
  return createTinyServices({
    db: input.db,
    transaction: (fn) => input.db.transaction((tx) => fn(tx)),
    cipher: await createTokenCipher(generateTokenKey(input.keyId)),
    config: {
      apiUrl: input.prismUrl,
      authUrl: input.sandbox.authUrl.replace(/\/auth$/, ""),
      clientId: input.sandbox.clientId,
      clientSecret: input.sandbox.clientSecret,
      redirectUri: "",
      timeoutMs: 10_000,
      maxAttempts: 2,
      refreshMarginSeconds: tinyDefaults.refreshMarginSeconds,
      quota: { ...tinyDefaults.quota, readsPerMinute: 10_000, writesPerMinute: 10_000, burstPerSecond: 10_000, maxWaitMs: 0 },
    },
    quotaStore: createMemoryQuotaStore(),
    log: memoryLogger(),
    fetch: input.fetch,
  });
}
