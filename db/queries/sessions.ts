import { and, eq, gt, isNull, ne } from "drizzle-orm";
import type { Database } from "../database";
import { refreshTokens, sessions, users } from "../schema";
import { publicUserColumns, type PublicUser } from "./users";

export type RevokeReason = "logout" | "refresh_reuse" | "password_change" | "email_change" | "user_deleted";

export async function createSession(db: Database, values: { userId: string; expiresAt: Date; userAgent: string | null }): Promise<string> {
  const [row] = await db.insert(sessions).values(values).returning({ id: sessions.id });
  return row!.id;
}

export async function insertRefreshToken(db: Database, values: { sessionId: string; tokenHash: string; expiresAt: Date }): Promise<void> {
  await db.insert(refreshTokens).values(values);
}

/**
 * The authenticated principal in one query: the user, only while the session is live.
 * A revoked or expired session, or a deleted user, yields nothing.
 */
export async function findActiveSessionUser(db: Database, userId: string, sessionId: string, now = new Date()): Promise<PublicUser | undefined> {
  const [row] = await db
    .select(publicUserColumns)
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .limit(1);
  return row;
}

/**
 * Marks the presented refresh token used, atomically: of two concurrent refreshes with
 * the same token only one gets a row back.
 */
export async function consumeRefreshToken(db: Database, tokenHash: string, now = new Date()): Promise<{ sessionId: string; userId: string; sessionExpiresAt: Date } | undefined> {
  const [row] = await db
    .update(refreshTokens)
    .set({ usedAt: now })
    .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.usedAt), gt(refreshTokens.expiresAt, now)))
    .returning({ sessionId: refreshTokens.sessionId });
  if (!row) return undefined;
  const [session] = await db
    .select({ userId: sessions.userId, expiresAt: sessions.expiresAt })
    .from(sessions)
    .where(and(eq(sessions.id, row.sessionId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
    .limit(1);
  return session ? { sessionId: row.sessionId, userId: session.userId, sessionExpiresAt: session.expiresAt } : undefined;
}

/** The session a refresh token belongs to when that token was already rotated away: the signal of reuse. */
export async function findSessionOfUsedRefreshToken(db: Database, tokenHash: string): Promise<string | undefined> {
  const [row] = await db.select({ sessionId: refreshTokens.sessionId, usedAt: refreshTokens.usedAt }).from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).limit(1);
  return row?.usedAt ? row.sessionId : undefined;
}

export async function revokeSession(db: Database, sessionId: string, reason: RevokeReason): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

export async function revokeOtherSessions(db: Database, userId: string, keepSessionId: string, reason: RevokeReason): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: new Date(), revokedReason: reason })
    .where(and(eq(sessions.userId, userId), ne(sessions.id, keepSessionId), isNull(sessions.revokedAt)));
}
