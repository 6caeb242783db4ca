import { uuidv7 } from "../../../core/ids";
import type { TinyServices } from "../../../core/tiny";
import type { Database } from "../../../db/database";
import { insertTinyAccount } from "../../../db/queries/tiny";
import { insertUser } from "../../../db/queries/users";
import type { TinySandbox } from "../../../dev/sandbox/tiny";

/**
 * A new user holding one Tiny account with a real sandbox grant (no browser flow), under a
 * random CNPJ so test files never share a company's quota.
 */
export async function seedUserWithTinyAccount(
  db: Database,
  tiny: Pick<TinyServices, "tokens">,
  sandbox: TinySandbox,
  emailPrefix: string,
): Promise<{ userId: string; tinyAccountId: string }> {
  const user = await insertUser(db, { email: `${emailPrefix}-${uuidv7()}@example.com`, name: null, passwordHash: "x" });
  const userId = user!.id;
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
