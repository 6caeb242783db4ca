import { tokenContext } from "../core/mercadolibre/token-manager";
import type { TokenCipher } from "../core/token-cipher";
import type { Database, RunInTransaction } from "./database";
import { findMlAccountsSealedWithOtherKey, lockMlAccount, resealMlAccountTokens } from "./queries/ml-accounts";

export interface RotationResult {
  /** Rows now sealed under the current key. */
  resealed: number;
  /** Rows changed by someone else meanwhile (a refresh already re-sealed them) or gone. */
  skipped: number;
  /** Rows that could not be opened with any configured key (their key was dropped too early). */
  failed: { id: string; reason: string }[];
}

/**
 * Re-seals every stored ML token under the cipher's current key. Each row is rewritten
 * under the same row lock refreshes take, so a rotation running next to live traffic can
 * neither lose a freshly rotated refresh token nor write back a stale one. Idempotent:
 * run it again after a crash and it picks up the rows still on the old key.
 */
export async function rotateTokenKeys(
  db: Database,
  transaction: RunInTransaction,
  cipher: TokenCipher,
  options: { batchSize?: number } = {},
): Promise<RotationResult> {
  const result: RotationResult = { resealed: 0, skipped: 0, failed: [] };
  let afterId: string | null = null;
  for (;;) {
    const batch = await findMlAccountsSealedWithOtherKey(db, cipher.currentKeyId, afterId, options.batchSize ?? 200);
    if (batch.length === 0) return result;
    for (const { id } of batch) {
      afterId = id;
      try {
        const outcome = await transaction(async (tx) => {
          const row = await lockMlAccount(tx, id);
          if (!row?.accessTokenEnc || !row.refreshTokenEnc || row.tokenKeyId === cipher.currentKeyId) return "skipped" as const;
          const access = await cipher.open(row.accessTokenEnc, tokenContext(id, "access"));
          const refresh = await cipher.open(row.refreshTokenEnc, tokenContext(id, "refresh"));
          await resealMlAccountTokens(tx, id, {
            accessTokenEnc: await cipher.seal(access, tokenContext(id, "access")),
            refreshTokenEnc: await cipher.seal(refresh, tokenContext(id, "refresh")),
            tokenKeyId: cipher.currentKeyId,
          });
          return "resealed" as const;
        });
        result[outcome]++;
      } catch (error) {
        result.failed.push({ id, reason: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}
