import { sql } from "drizzle-orm";
import type { Database } from "./database";

/**
 * Bounds how long the rest of this transaction waits for a row lock: past it Postgres raises
 * 55P03 (see isLockTimeout) and the caller answers with a retryable error instead of holding
 * its request open. Whole seconds only, because the value is spliced into the statement
 * (SET takes no bind parameters).
 */
export async function setLockTimeout(tx: Database, seconds: number): Promise<void> {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) throw new RangeError(`lock timeout must be a positive whole number of seconds, got ${seconds}`);
  await tx.execute(sql.raw(`set local lock_timeout = '${seconds}s'`));
}

/** Postgres's lock_not_available (55P03), whether the driver threw it as is or drizzle wrapped it in its own error. */
export function isLockTimeout(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === "55P03" || (error as { cause?: { code?: string } } | null)?.cause?.code === "55P03";
}
