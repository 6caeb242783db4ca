import { and, asc, desc, eq, gt, isNotNull, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
import type { Database } from "../database";
import { mlAccountEvents, mlAccounts, type MlAccount, type MlAccountEvent, type MlAccountStatus } from "../schema";

/**
 * Every read and write of ml_accounts, for both runtimes. Rows carry sealed tokens; the
 * functions that return them are only called by the token manager and the connect flow,
 * and what leaves through the API is built from `MlAccountSummary` (no token columns).
 */

export const mlAccountSummaryColumns = {
  id: mlAccounts.id,
  userId: mlAccounts.userId,
  mlUserId: mlAccounts.mlUserId,
  nickname: mlAccounts.nickname,
  siteId: mlAccounts.siteId,
  status: mlAccounts.status,
  accessExpiresAt: mlAccounts.accessExpiresAt,
  lastRefreshAt: mlAccounts.lastRefreshAt,
  lastApiCallAt: mlAccounts.lastApiCallAt,
  lastSyncAt: mlAccounts.lastSyncAt,
  connectedAt: mlAccounts.connectedAt,
  disconnectedAt: mlAccounts.disconnectedAt,
  createdAt: mlAccounts.createdAt,
  updatedAt: mlAccounts.updatedAt,
};

export type MlAccountSummary = Pick<MlAccount, keyof typeof mlAccountSummaryColumns>;

/** The sealed-token part of a row: what the token manager needs and nothing more. */
export interface SealedTokens {
  accessTokenEnc: string;
  refreshTokenEnc: string;
  tokenKeyId: string;
  accessExpiresAt: Date;
  scope: string | null;
}

export async function listMlAccountsOfUser(db: Database, userId: string): Promise<MlAccountSummary[]> {
  return db.select(mlAccountSummaryColumns).from(mlAccounts).where(eq(mlAccounts.userId, userId)).orderBy(asc(mlAccounts.createdAt));
}

/** Scoped by owner: another user's id reads as missing, so ids never leak across tenants. */
export async function findMlAccountOfUser(db: Database, userId: string, id: string): Promise<MlAccountSummary | undefined> {
  const [row] = await db
    .select(mlAccountSummaryColumns)
    .from(mlAccounts)
    .where(and(eq(mlAccounts.id, id), eq(mlAccounts.userId, userId)))
    .limit(1);
  return row;
}

export async function findMlAccount(db: Database, id: string): Promise<MlAccount | undefined> {
  const [row] = await db.select().from(mlAccounts).where(eq(mlAccounts.id, id)).limit(1);
  return row;
}

/** Notifications name the seller by ML user id; this maps it to our account. */
export async function findMlAccountByMlUserId(db: Database, mlUserId: number): Promise<MlAccountSummary | undefined> {
  const [row] = await db.select(mlAccountSummaryColumns).from(mlAccounts).where(eq(mlAccounts.mlUserId, mlUserId)).limit(1);
  return row;
}

/**
 * Row lock for the refresh: FOR NO KEY UPDATE serialises refreshers of one account while
 * still letting rows that reference it (events, synced data) be inserted meanwhile.
 */
export async function lockMlAccount(tx: Database, id: string): Promise<MlAccount | undefined> {
  const [row] = await tx.select().from(mlAccounts).where(eq(mlAccounts.id, id)).for("no key update").limit(1);
  return row;
}

export async function lockMlAccountByMlUserId(tx: Database, mlUserId: number): Promise<MlAccount | undefined> {
  const [row] = await tx.select().from(mlAccounts).where(eq(mlAccounts.mlUserId, mlUserId)).for("no key update").limit(1);
  return row;
}

export interface NewMlAccount extends SealedTokens {
  id: string;
  userId: string;
  mlUserId: number;
  nickname: string;
  siteId: string;
  now: Date;
}

/** Undefined when the ML user is already attached (the unique index decides under races). */
export async function insertMlAccount(db: Database, values: NewMlAccount): Promise<MlAccountSummary | undefined> {
  const { now, ...rest } = values;
  const [row] = await db
    .insert(mlAccounts)
    .values({ ...rest, status: "active", lastRefreshAt: now, connectedAt: now, createdAt: now, updatedAt: now })
    .onConflictDoNothing({ target: mlAccounts.mlUserId })
    .returning(mlAccountSummaryColumns);
  return row;
}

/** A reconnect of an account the same user already had: fresh grant, active again. */
export async function reconnectMlAccount(db: Database, id: string, values: SealedTokens & { nickname: string; siteId: string; now: Date }): Promise<MlAccountSummary | undefined> {
  const { now, ...rest } = values;
  const [row] = await db
    .update(mlAccounts)
    .set({ ...rest, status: "active", lastRefreshAt: now, connectedAt: now, disconnectedAt: null, updatedAt: now })
    .where(eq(mlAccounts.id, id))
    .returning(mlAccountSummaryColumns);
  return row;
}

export async function storeRefreshedTokens(db: Database, id: string, tokens: SealedTokens, now: Date): Promise<void> {
  await db
    .update(mlAccounts)
    .set({ ...tokens, lastRefreshAt: now, updatedAt: now })
    .where(eq(mlAccounts.id, id));
}

/**
 * The grant is gone (invalid_grant). The dead tokens are dropped with the status change so
 * nothing can keep presenting them.
 */
export async function markMlAccountReauthRequired(db: Database, id: string, now: Date): Promise<void> {
  await db.update(mlAccounts).set({ status: "reauth_required", accessTokenEnc: null, refreshTokenEnc: null, tokenKeyId: null, accessExpiresAt: null, updatedAt: now }).where(eq(mlAccounts.id, id));
}

export async function disconnectMlAccount(db: Database, id: string, now: Date): Promise<void> {
  await db
    .update(mlAccounts)
    .set({ status: "disconnected", accessTokenEnc: null, refreshTokenEnc: null, tokenKeyId: null, accessExpiresAt: null, disconnectedAt: now, updatedAt: now })
    .where(eq(mlAccounts.id, id));
}

/** Purge: the row goes, and with it (ON DELETE CASCADE) its events and every synced record. */
export async function deleteMlAccount(db: Database, id: string): Promise<boolean> {
  const rows = await db.delete(mlAccounts).where(eq(mlAccounts.id, id)).returning({ id: mlAccounts.id });
  return rows.length > 0;
}

/**
 * ML revokes grants after 4 months without API calls. Recording every call would be a write
 * per request, so the mark only moves when it is older than `minAge`.
 */
export async function touchMlAccountApiCall(db: Database, id: string, now: Date, minAgeMs: number): Promise<void> {
  const threshold = new Date(now.getTime() - minAgeMs);
  await db
    .update(mlAccounts)
    .set({ lastApiCallAt: now })
    .where(and(eq(mlAccounts.id, id), or(isNull(mlAccounts.lastApiCallAt), lt(mlAccounts.lastApiCallAt, threshold))));
}

export async function markMlAccountSynced(db: Database, id: string, now: Date): Promise<void> {
  await db.update(mlAccounts).set({ lastSyncAt: now }).where(eq(mlAccounts.id, id));
}

export async function insertMlAccountEvent(
  db: Database,
  values: { accountId: string; type: string; level?: "info" | "warn" | "error"; message: string; details?: Record<string, unknown>; now?: Date },
): Promise<void> {
  await db.insert(mlAccountEvents).values({
    accountId: values.accountId,
    type: values.type,
    level: values.level ?? "info",
    message: values.message,
    details: values.details ?? null,
    ...(values.now ? { createdAt: values.now } : {}),
  });
}

export async function listMlAccountEvents(db: Database, accountId: string, limit = 50): Promise<MlAccountEvent[]> {
  return db.select().from(mlAccountEvents).where(eq(mlAccountEvents.accountId, accountId)).orderBy(desc(mlAccountEvents.createdAt), desc(mlAccountEvents.id)).limit(limit);
}

export async function lastMlAccountEventOfType(db: Database, accountId: string, type: string): Promise<MlAccountEvent | undefined> {
  const [row] = await db
    .select()
    .from(mlAccountEvents)
    .where(and(eq(mlAccountEvents.accountId, accountId), eq(mlAccountEvents.type, type)))
    .orderBy(desc(mlAccountEvents.createdAt))
    .limit(1);
  return row;
}

/** Active accounts whose access token expires before `before`, soonest first. */
export async function findMlAccountsDueForRefresh(db: Database, before: Date, limit: number): Promise<{ id: string; accessExpiresAt: Date | null }[]> {
  return db
    .select({ id: mlAccounts.id, accessExpiresAt: mlAccounts.accessExpiresAt })
    .from(mlAccounts)
    .where(and(eq(mlAccounts.status, "active"), or(isNull(mlAccounts.accessExpiresAt), lte(mlAccounts.accessExpiresAt, before))))
    .orderBy(sql`${mlAccounts.accessExpiresAt} asc nulls first`)
    .limit(limit);
}

/**
 * Active accounts with no successful ML call since `idleSince` (never called counts from
 * the connection time): candidates for a keep-alive call.
 */
export async function findIdleMlAccounts(db: Database, idleSince: Date, limit: number): Promise<{ id: string; lastApiCallAt: Date | null; connectedAt: Date }[]> {
  return db
    .select({ id: mlAccounts.id, lastApiCallAt: mlAccounts.lastApiCallAt, connectedAt: mlAccounts.connectedAt })
    .from(mlAccounts)
    .where(and(eq(mlAccounts.status, "active"), or(lt(mlAccounts.lastApiCallAt, idleSince), and(isNull(mlAccounts.lastApiCallAt), lt(mlAccounts.connectedAt, idleSince)))))
    .orderBy(sql`coalesce(${mlAccounts.lastApiCallAt}, ${mlAccounts.connectedAt}) asc`)
    .limit(limit);
}

/** Rows still sealed under a key other than the current one, after `afterId` (keyset pages). */
export async function findMlAccountsSealedWithOtherKey(db: Database, currentKeyId: string, afterId: string | null, limit: number): Promise<{ id: string }[]> {
  return db
    .select({ id: mlAccounts.id })
    .from(mlAccounts)
    .where(and(isNotNull(mlAccounts.tokenKeyId), ne(mlAccounts.tokenKeyId, currentKeyId), afterId ? gt(mlAccounts.id, afterId) : undefined))
    .orderBy(asc(mlAccounts.id))
    .limit(limit);
}

export async function resealMlAccountTokens(db: Database, id: string, values: { accessTokenEnc: string; refreshTokenEnc: string; tokenKeyId: string }): Promise<void> {
  await db.update(mlAccounts).set(values).where(eq(mlAccounts.id, id));
}

export type { MlAccount, MlAccountEvent, MlAccountStatus };
