import { mlNotificationKey, type MlNotification } from "#core/jobs/ml-notification";
import type { NotificationFacts } from "#db/queries/webhooks";

/** What the webhook event row keeps of a notification; its key is the BullMQ jobId's key too. */
export function notificationFacts(notification: MlNotification): NotificationFacts {
  return {
    notificationKey: mlNotificationKey(notification),
    mlNotificationId: notification.notificationId,
    mlUserId: notification.userId,
    topic: notification.topic,
    resource: notification.resource,
    actions: notification.actions,
    mlSentAt: notification.sent,
    mlReceivedAt: notification.received,
    mlAttempts: notification.attempts,
  };
}
