import { uuidv7 } from "#core/ids";
import type { Logger } from "#core/log";
import { createMemoryQuotaStore, createTinyServices, tinyDefaults, type TinyServices } from "#integrations/tiny";
import { createTokenCipher } from "#core/token-cipher";
import type { Database } from "#db/database";
import { insertTinyAccount } from "#db/queries/tiny";
import { insertUser } from "#db/queries/users";
import type { TinySandbox } from "#dev/sandbox/tiny";

/**
 * A new user holding one Tiny account with a real sandbox grant (no browser flow), under a
 * random CNPJ so test files never share a company's quota.
 */
export async function seedUserWithTinyAccount(
  db: Database,
  tiny: Pick<TinyServices, "tokens">,
  sandbox: Pick<TinySandbox, "issueTokens">,
  emailPrefix: string,
  /** Connect the Tiny account to this existing user instead of a new one. */
  existingUserId?: string,
): Promise<{ userId: string; tinyAccountId: string }> {
  const userId = existingUserId ?? (await insertUser(db, { email: `${emailPrefix}-${uuidv7()}@example.com`, name: null, passwordHash: "x" }))!.id;
  const minted = await sandbox.issueTokens();
  const tinyAccountId = uuidv7();
  const now = Date.now();
  const sealed = await tiny.tokens.sealTokens(tinyAccountId, {
    accessToken: minted.access_token,
    refreshToken: minted.refresh_token,
    expiresInSeconds: minted.expires_in,
    accessExpiresAt: new Date(now + minted.expires_in * 1000),
    refreshExpiresAt: new Date(now + minted.refresh_expires_in * 1000),
  });
  const cnpj = String(10_000_000_000_000 + Math.floor(Math.random() * 89_999_999_999_999));
  await insertTinyAccount(db, { id: tinyAccountId, userId, companyName: `Seed ${cnpj}`, tradeName: null, cnpj, ...sealed, now: new Date() });
  return { userId, tinyAccountId };
}

/**
 * The test side's own Tiny services against a sandbox (seeding grants, direct calls): same token
 * keys as the jobs container under test, a quota of its own so it never waits on the container's.
 */
export async function sandboxTinyServices(db: Database, sandbox: TinySandbox, tokenKeys: string, log: Logger): Promise<TinyServices> {
  return createTinyServices({
    db,
    transaction: (fn) => db.transaction((tx) => fn(tx)),
    cipher: await createTokenCipher(tokenKeys),
    config: {
      ...tinyDefaults,
      apiUrl: sandbox.apiUrl,
      authUrl: sandbox.authUrl.replace(/\/auth$/, ""),
      clientId: sandbox.clientId,
      clientSecret: sandbox.clientSecret,
      redirectUri: "",
      timeoutMs: 5_000,
      quota: { readsPerMinute: 10_000, writesPerMinute: 10_000, burstPerSecond: 10_000, maxWaitMs: 1_000 },
    },
    quotaStore: createMemoryQuotaStore(),
    log,
  });
}
