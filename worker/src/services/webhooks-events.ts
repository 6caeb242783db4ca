import { AppError } from "#core/errors";
import type { WebhookEvent, WebhookEventStatus } from "#db/schema";
import { claimReplay, findEventForUser, listEventsForUser, unclaimReplay } from "#db/queries/webhooks";
import type { Principal } from "../lib/types";
import type { Services } from ".";
import { publishJob, requirePublisher } from "./publish-job";

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
  const unavailable = "Replays are not available right now.";
  requirePublisher(services, unavailable);
  const claimed = await claimReplay(services.db, principal.userId, id);
  if (!claimed) throw new AppError("conflict", "This event is already being replayed.");
  try {
    const { jobId } = await publishJob(services, "ml.webhook.replay", { eventId: claimed.id, replay: claimed.replayCount }, traceId, {
      deduplicationId: `mlreplay-${claimed.id}-${claimed.replayCount}`,
      unavailable,
      failed: "The replay could not be queued; try again.",
    });
    return { event: claimed, jobId };
  } catch (error) {
    await unclaimReplay(services.db, claimed.id, "replay could not be queued");
    throw error;
  }
}
