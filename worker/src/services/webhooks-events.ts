import { AppError } from "../../../core/errors";
import { jobIdFor } from "../../../core/jobs/job-id";
import { mlWebhookReplayKey } from "../../../core/jobs/ml-webhook-jobs";
import type { WebhookEvent, WebhookEventStatus } from "../../../db/schema";
import { claimReplay, findEventForUser, listEventsForUser, unclaimReplay } from "../../../db/queries/webhooks";
import type { Principal } from "../lib/types";
import type { Services } from ".";

export interface EventQuery {
  status?: WebhookEventStatus | undefined;
  topic?: string | undefined;
  account?: string | undefined;
  cursor?: string | undefined;
  limit: number;
}

/** The caller's own events only; another user's account id simply matches nothing. */
export async function listWebhookEvents(services: Services, principal: Principal, query: EventQuery) {
  const rows = await listEventsForUser(services.db, principal.userId, {
    status: query.status,
    topic: query.topic,
    accountId: query.account,
    before: query.cursor,
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  return { events: page, nextCursor: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null };
}

/**
 * Sends a failed event through the pipeline again (QStash → jobs → the same processor). The
 * claim flips failed → enqueued in one statement, so two clicks make one replay; each replay
 * gets its own job id, so a replay of a replay is not swallowed as a duplicate.
 */
export async function replayWebhookEvent(services: Services, principal: Principal, id: string, traceId: string): Promise<{ event: WebhookEvent; jobId: string }> {
  const existing = await findEventForUser(services.db, principal.userId, id);
  if (!existing) throw new AppError("not_found", "No such webhook event.");
  if (existing.status !== "failed") {
    throw new AppError("conflict", `Only failed events can be replayed; this one is ${existing.status}.`);
  }
  if (!services.qstash || !services.config.JOBS_PUBLIC_URL) {
    throw new AppError("unavailable", "Replays are not available right now.", { retryAfterSeconds: 30 });
  }
  const claimed = await claimReplay(services.db, principal.userId, id);
  if (!claimed) throw new AppError("conflict", "This event is already being replayed.");
  const payload = { eventId: claimed.id, replay: claimed.replayCount };
  try {
    await services.qstash.publish({
      url: `${services.config.JOBS_PUBLIC_URL.replace(/\/+$/, "")}/qstash/ml.webhook.replay`,
      body: JSON.stringify(payload),
      headers: { "content-type": "application/json", "x-request-id": traceId },
      deduplicationId: `mlreplay-${claimed.id}-${claimed.replayCount}`,
      retries: services.config.WEBHOOK_QSTASH_RETRIES,
    });
  } catch (error) {
    await unclaimReplay(services.db, claimed.id, "replay could not be queued");
    throw new AppError("unavailable", "The replay could not be queued; try again.", { retryAfterSeconds: 5, cause: error });
  }
  return { event: claimed, jobId: await jobIdFor("ml.webhook.replay", mlWebhookReplayKey(payload)) };
}
