import { createTokenCipher } from "#core/token-cipher";
import { createNodeDb, nodeTransaction } from "#db/client-node";
import { rotateTokenKeys } from "#domain/accounts/token-rotation";

/**
 * `npm run tokens:rotate`: put the new key first in TOKEN_ENCRYPTION_KEYS (keep the old one
 * after it), deploy, then run this. It covers every table with sealed tokens (ML and Tiny
 * accounts); when it reports no failures the old key can be removed.
 */
const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/autoecom";
const keys = process.env.TOKEN_ENCRYPTION_KEYS;
if (!keys) {
  console.error("TOKEN_ENCRYPTION_KEYS is required (new key first, old keys after it).");
  process.exit(1);
}
const cipher = await createTokenCipher(keys);
const { db, close } = createNodeDb(databaseUrl, { max: 2 });
const started = performance.now();
try {
  const result = await rotateTokenKeys({ ctx: { db: db, transaction: nodeTransaction(db) }, input: { cipher: cipher } });
  console.log(
    JSON.stringify({
      currentKeyId: cipher.currentKeyId,
      resealed: result.resealed,
      skipped: result.skipped,
      failed: result.failed.length,
      failedIds: result.failed.map((f) => f.id),
      // A failed id alone does not say which table to look in.
      byTable: Object.fromEntries(
        Object.entries(result.byTable).map(([table, counts]) => [
          table,
          { resealed: counts.resealed, skipped: counts.skipped, failed: counts.failed.length, failedIds: counts.failed.map((f) => f.id) },
        ]),
      ),
      durationMs: Math.round(performance.now() - started),
    }),
  );
  if (result.failed.length > 0) process.exitCode = 2;
} finally {
  await close();
}
