import { AppError } from "#core/errors";
import { deleteEndedSessions, deleteEndedSessionTokens, deleteSettledWebhookEvents } from "#db/queries/retention";
import type { JobContext, Processors } from "../types";

const day = 24 * 60 * 60_000;

/** Rows per DELETE: each statement stays short however large the backlog. */
export const retentionBatchSize = 5_000;

/**
 * How long an ended (expired or revoked) session is kept: long enough to answer "why was I
 * logged out" from its revoked_reason; its tokens can no longer be used either way.
 */
export const endedSessionRetentionDays = 7;

/** Runs one batch delete until a batch comes back short; stops between batches at shutdown (the retry resumes). */
async function drain(ctx: JobContext, deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    if (ctx.signal.aborted) throw new AppError("unavailable", "Shutting down; the retention sweep resumes on retry.");
    const deleted = await deleteBatch();
    total += deleted;
    if (deleted < retentionBatchSize) return total;
  }
}

/**
 * Global maintenance, not per tenant (docs/webhooks.md, "Retention"): ended sessions and their
 * refresh tokens, and processed or skipped ML notifications older than RETENTION_WEBHOOK_EVENTS_DAYS.
 */
export async function runRetention(ctx: JobContext): Promise<{ refreshTokens: number; sessions: number; webhookEvents: number }> {
  const now = Date.now();
  const sessionsEndedBefore = new Date(now - endedSessionRetentionDays * day);
  const eventsReceivedBefore = new Date(now - ctx.services.retention.webhookEventsDays * day);
  const refreshTokens = await drain(ctx, () => deleteEndedSessionTokens(ctx.db, sessionsEndedBefore, retentionBatchSize));
  const sessions = await drain(ctx, () => deleteEndedSessions(ctx.db, sessionsEndedBefore, retentionBatchSize));
  const webhookEvents = await drain(ctx, () => deleteSettledWebhookEvents(ctx.db, eventsReceivedBefore, retentionBatchSize));
  const result = { refreshTokens, sessions, webhookEvents };
  ctx.log.info("retention sweep done", { ...result, sessionsEndedBefore, eventsReceivedBefore });
  return result;
}

export const maintenanceProcessors: Pick<Processors, "maintenance.retention"> = {
  "maintenance.retention": async (_payload, ctx) => runRetention(ctx),
};
