import { and, eq, inArray, lt, or } from "drizzle-orm";
import type { Database } from "../database";
import { refreshTokens, sessions, webhookEvents } from "../schema";

/**
 * Global maintenance deletes, one bounded batch per call: the caller loops until a batch comes
 * back short, so a large backlog never holds one long statement's locks. No ORDER BY: the
 * candidates are found by a scan that stops at `limit`, with no index on the ages needed.
 */

/** Sessions that expired or were revoked before `endedBefore`; a live session's used tokens stay for reuse detection. */
const endedSessions = (endedBefore: Date) => or(lt(sessions.expiresAt, endedBefore), lt(sessions.revokedAt, endedBefore));

/** Refresh tokens of ended sessions, before the sessions: a session's cascade would otherwise delete thousands of rotations in one statement. */
export async function deleteEndedSessionTokens(db: Database, endedBefore: Date, limit: number): Promise<number> {
  const batch = db.select({ id: refreshTokens.id }).from(refreshTokens).innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId)).where(endedSessions(endedBefore)).limit(limit);
  const deleted = await db.delete(refreshTokens).where(inArray(refreshTokens.id, batch)).returning({ id: refreshTokens.id });
  return deleted.length;
}

export async function deleteEndedSessions(db: Database, endedBefore: Date, limit: number): Promise<number> {
  const batch = db.select({ id: sessions.id }).from(sessions).where(endedSessions(endedBefore)).limit(limit);
  const deleted = await db.delete(sessions).where(inArray(sessions.id, batch)).returning({ id: sessions.id });
  return deleted.length;
}

/** Processed and skipped ML notifications received before `receivedBefore`. Failed ones are the seller's error list and stay. */
export async function deleteSettledWebhookEvents(db: Database, receivedBefore: Date, limit: number): Promise<number> {
  const batch = db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(and(inArray(webhookEvents.status, ["processed", "skipped"]), lt(webhookEvents.createdAt, receivedBefore)))
    .limit(limit);
  const deleted = await db.delete(webhookEvents).where(inArray(webhookEvents.id, batch)).returning({ id: webhookEvents.id });
  return deleted.length;
}
