import { UnrecoverableError } from "bullmq";
import type { MlNotification } from "#core/jobs/ml-notification";
import { findEventById } from "#db/queries/webhooks";
import type { Processors } from "../../types";
import { notificationFacts } from "./facts";
import { processNotification } from "./process";
import { pollMissedFeeds, reconcileOrders } from "./recovery";

/** The ML webhook pipeline's jobs: notifications, replays, and the two recovery passes. */
export const mlWebhookProcessors: Pick<Processors, "ml.webhook" | "ml.webhook.replay" | "ml.missed-feeds" | "ml.reconcile"> = {
  "ml.webhook": async (notification, ctx) => {
    const outcome = await processNotification(ctx, notification, notificationFacts(notification), { source: "webhook", enqueuedAt: ctx.job.enqueuedAt });
    return { outcome };
  },

  "ml.webhook.replay": async ({ eventId }, ctx) => {
    const event = await findEventById(ctx.db, eventId);
    if (!event) throw new UnrecoverableError(`Webhook event ${eventId} no longer exists.`);
    const notification: MlNotification = {
      notificationId: event.mlNotificationId,
      resource: event.resource,
      userId: String(event.mlUserId),
      topic: event.topic,
      applicationId: ctx.services.mlAppId ?? "0",
      attempts: event.mlAttempts ?? 1,
      sent: (event.mlSentAt ?? event.createdAt).toISOString(),
      received: event.mlReceivedAt?.toISOString() ?? null,
      actions: event.actions,
    };
    // The stored key, not a recomputed one: the replay must land on the same event row.
    const facts = { ...notificationFacts(notification), notificationKey: event.notificationKey };
    const outcome = await processNotification(ctx, notification, facts, { source: "replay", enqueuedAt: ctx.job.enqueuedAt });
    return { outcome };
  },

  "ml.missed-feeds": async ({ accountId }, ctx) => pollMissedFeeds(ctx, accountId),
  "ml.reconcile": async ({ accountId }, ctx) => reconcileOrders(ctx, accountId),
};
