import { tokenContext } from "#integrations/mercadolibre/tokens";
import { tinyTokenContext } from "#integrations/tiny/tokens";
import { sealTokenPair, type TokenCipher, type TokenContext } from "#core/token-cipher";
import type { Database, RunInTransaction } from "#db/database";
import { findMlAccountsSealedWithOtherKey, lockMlAccount, resealMlAccountTokens } from "#db/queries/ml-accounts";
import { findTinyAccountsSealedWithOtherKey, lockTinyAccount, resealTinyAccountTokens } from "#db/queries/tiny";

/** A table holding an access/refresh token pair sealed by core/token-cipher.ts, as rotation sees it. */
export interface SealedTokenStore {
  table: string;
  /** The AAD the provider's token manager seals with: a re-sealed value must open where the old one did. */
  context: TokenContext;
  findSealedWithOtherKey: (db: Database, currentKeyId: string, afterId: string | null, limit: number) => Promise<{ id: string }[]>;
  /** The same row lock the provider's refreshes take. */
  lock: (tx: Database, id: string) => Promise<{ accessTokenEnc: string | null; refreshTokenEnc: string | null; tokenKeyId: string | null } | undefined>;
  reseal: (tx: Database, id: string, values: { accessTokenEnc: string; refreshTokenEnc: string; tokenKeyId: string }) => Promise<void>;
}

/**
 * Every table that stores sealed tokens. A table missing here keeps its old key id, and its
 * tokens stop opening the day that key leaves TOKEN_ENCRYPTION_KEYS.
 */
export const sealedTokenStores: readonly SealedTokenStore[] = [
  { table: "ml_accounts", context: tokenContext, findSealedWithOtherKey: findMlAccountsSealedWithOtherKey, lock: lockMlAccount, reseal: resealMlAccountTokens },
  { table: "tiny_accounts", context: tinyTokenContext, findSealedWithOtherKey: findTinyAccountsSealedWithOtherKey, lock: lockTinyAccount, reseal: resealTinyAccountTokens },
];

export interface RotationCounts {
  /** Rows now sealed under the current key. */
  resealed: number;
  /** Rows changed by someone else meanwhile (a refresh already re-sealed them) or gone. */
  skipped: number;
  /** Rows that could not be opened with any configured key (their key was dropped too early). */
  failed: { table: string; id: string; reason: string }[];
}

export interface RotationResult extends RotationCounts {
  /** The same counts per table, so a failure names where to look. */
  byTable: Record<string, RotationCounts>;
}

/**
 * Re-seals every stored token of every store under the cipher's current key. Each row is
 * rewritten under the same row lock refreshes take, so a rotation running next to live
 * traffic can neither lose a freshly rotated refresh token nor write back a stale one.
 * Idempotent: run it again after a crash and it picks up the rows still on the old key.
 */
export async function rotateTokenKeys({
  ctx: { db, transaction },
  input: { cipher, ...options },
}: {
  ctx: { db: Database; transaction: RunInTransaction };
  input: { cipher: TokenCipher; batchSize?: number; stores?: readonly SealedTokenStore[] };
}): Promise<RotationResult> {
  const result: RotationResult = { resealed: 0, skipped: 0, failed: [], byTable: {} };
  for (const store of options.stores ?? sealedTokenStores) {
    const counts = await rotateStore(db, transaction, cipher, store, options.batchSize ?? 200);
    result.byTable[store.table] = counts;
    result.resealed += counts.resealed;
    result.skipped += counts.skipped;
    result.failed.push(...counts.failed);
  }
  return result;
}

async function rotateStore(db: Database, transaction: RunInTransaction, cipher: TokenCipher, store: SealedTokenStore, batchSize: number): Promise<RotationCounts> {
  const counts: RotationCounts = { resealed: 0, skipped: 0, failed: [] };
  let afterId: string | null = null;
  for (;;) {
    const batch = await store.findSealedWithOtherKey(db, cipher.currentKeyId, afterId, batchSize);
    if (batch.length === 0) return counts;
    for (const { id } of batch) {
      afterId = id;
      try {
        const outcome = await transaction(async (tx) => {
          const row = await store.lock(tx, id);
          if (!row?.accessTokenEnc || !row.refreshTokenEnc || row.tokenKeyId === cipher.currentKeyId) return "skipped" as const;
          const accessToken = await cipher.open(row.accessTokenEnc, store.context(id, "access"));
          const refreshToken = await cipher.open(row.refreshTokenEnc, store.context(id, "refresh"));
          await store.reseal(tx, id, await sealTokenPair(cipher, store.context, id, { accessToken, refreshToken }));
          return "resealed" as const;
        });
        counts[outcome]++;
      } catch (error) {
        counts.failed.push({ table: store.table, id, reason: error instanceof Error ? error.message : String(error) });
      }
    }
  }
}
