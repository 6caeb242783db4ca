import { uuidv7 } from "#core/ids";
import { createLogger } from "#core/log";
import { createMlServices } from "#integrations/mercadolibre";
import { createTokenCipher } from "#core/token-cipher";
import { createNodeDb } from "#db/client-node";
import { insertMlAccount } from "#db/queries/ml-accounts";
import { insertUser } from "#db/queries/users";

/**
 * A user with a connected ML account, created the way the connect flow leaves it (tokens
 * minted by the sandbox, sealed with the product's cipher), without driving the browser
 * OAuth dance: for tests and benchmarks of what happens after an account is connected.
 */
export async function connectSandboxSeller(options: {
  databaseUrl: string;
  tokenKeys: string;
  sandbox: { url: string; appId: string; clientSecret: string };
  mlUserId: number;
  /** An existing user (e.g. registered through the API); a password-less one is created otherwise. */
  userId?: string;
}): Promise<{ userId: string; accountId: string }> {
  const database = createNodeDb(options.databaseUrl, { max: 2 });
  try {
    const db = database.db;
    const user = options.userId ? { id: options.userId } : await insertUser(db, { email: `seller-${uuidv7()}@example.com`, name: "Seller", passwordHash: "x" });
    if (!user) throw new Error("user email already taken");
    const minted = (await (
      await fetch(`${options.sandbox.url}/_sandbox/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user_id: options.mlUserId }) })
    ).json()) as { access_token: string; refresh_token: string; expires_in: number; user_id: number; scope?: string };
    const ml = createMlServices({
      db,
      transaction: (fn) => db.transaction((tx) => fn(tx)),
      cipher: await createTokenCipher(options.tokenKeys),
      config: { apiUrl: options.sandbox.url, appId: options.sandbox.appId, clientSecret: options.sandbox.clientSecret, redirectUri: "", timeoutMs: 5_000, maxAttempts: 3, refreshMarginSeconds: 300 },
      log: createLogger({}, "error"),
    });
    const accountId = uuidv7();
    const sealed = await ml.tokens.sealTokens(accountId, {
      accessToken: minted.access_token,
      refreshToken: minted.refresh_token,
      expiresInSeconds: minted.expires_in,
      expiresAt: new Date(Date.now() + minted.expires_in * 1000),
      userId: minted.user_id,
      scope: minted.scope ?? "offline_access read write",
    });
    const account = await insertMlAccount(db, { id: accountId, userId: user.id, mlUserId: options.mlUserId, nickname: `SELLER_${options.mlUserId}`, siteId: "MLB", ...sealed, now: new Date() });
    if (!account) throw new Error(`ML user ${options.mlUserId} is already connected`);
    return { userId: user.id, accountId };
  } finally {
    await database.close();
  }
}

/** A TOKEN_ENCRYPTION_KEYS value with one random key. */
export function randomTokenKeys(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return `t1:${Buffer.from(bytes).toString("base64")}`;
}
