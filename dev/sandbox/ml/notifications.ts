import type { AttemptContext, Clock, Delivery, WebhookDeliverer } from "../common";
import type { MlState } from "./state";

// ML notifications carry no data, only a pointer to the resource, and real payloads are
// inconsistent (`_id` or `id`, numeric or string user_id, resource with or without a leading
// slash). The sandbox picks the variant per message from the seeded RNG so receivers are
// exercised against all of them reproducibly.

/** 8 attempts within one hour, as ML documents (the exact spacing is not published). */
export const ML_RETRY_SCHEDULE_MS = [60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000];
/** ML disables topics of apps that do not answer 200 within this deadline. */
export const ML_ACK_DEADLINE_MS = 500;

export type Topic = "orders_v2" | "items" | "questions" | "shipments" | "post_purchase" | "payments" | "messages";

/** Subtopic-model topics carry `id` and an `actions` array instead of `_id`. */
const SUBTOPIC_ACTIONS: Partial<Record<Topic, string[]>> = { post_purchase: ["claims"] };

export interface Notifier {
  emit(topic: Topic, resource: string, userId: number): void;
}

interface NotificationMeta extends Record<string, unknown> {
  notificationId: string;
  topic: string;
  resource: string;
  userId: number;
  received: string;
  idKey: "_id" | "id";
}

export function createNotifier(deps: { getState: () => MlState; webhooks: WebhookDeliverer; clock: Clock; applicationId: number }): Notifier {
  return {
    emit(topic, resource, userId) {
      const state = deps.getState();
      const r = state.rng;
      const id = r.hex(24);
      const received = new Date(deps.clock.now()).toISOString();
      const subtopic = SUBTOPIC_ACTIONS[topic];
      const idKey: "_id" | "id" = subtopic || r.chance(state.variants.idKeyAsId) ? "id" : "_id";
      const userIdValue: number | string = r.chance(state.variants.userIdAsString) ? String(userId) : userId;
      const wireResource = r.chance(state.variants.resourceWithoutSlash) ? resource.replace(/^\//, "") : resource;
      const { url, topics } = state.callback;
      const skipped = url === null ? "no callback url" : topics !== null && !topics.includes(topic) ? "topic not subscribed" : null;
      let delivery: Delivery | null = null;
      if (url !== null && skipped === null) {
        const meta: NotificationMeta = { notificationId: id, topic, resource, userId, received, idKey };
        delivery = deps.webhooks.send({
          url,
          meta,
          render: ({ attempt, sentAt }: AttemptContext) => ({
            [idKey]: id,
            resource: wireResource,
            user_id: userIdValue,
            topic,
            ...(subtopic ? { actions: subtopic } : {}),
            application_id: deps.applicationId,
            attempts: attempt,
            sent: sentAt.toISOString(),
            received,
          }),
        });
      }
      state.recordNotification({ id, topic, resource, userId, received: deps.clock.now(), deliveryId: delivery?.id ?? null, skipped });
    },
  };
}

/** Called when a notification exhausted its retries: it becomes visible in /missed_feeds. */
export function recordMissedFeed(state: MlState, delivery: Delivery, applicationId: number, now: number): void {
  const meta = delivery.meta as NotificationMeta;
  const req = delivery.lastRequest;
  const res = delivery.lastResponse;
  state.missedFeeds.push({
    _id: meta.notificationId,
    resource: meta.resource,
    user_id: meta.userId,
    topic: meta.topic,
    application_id: applicationId,
    attempts: delivery.attempts,
    sent: delivery.lastAttemptAt ?? new Date(now).toISOString(),
    received: meta.received,
    request: {
      url: req?.url ?? delivery.url,
      headers: { accept: "application/json", "content-type": "application/json", "content-length": req ? Number(req.headers["content-length"] ?? 0) : 0 },
      data: req?.data ?? "",
    },
    response: {
      req_time: res?.req_time ?? 0,
      http_code: res?.http_code ?? null,
      body: res?.body ?? "",
      headers: res?.headers ?? {},
    },
    failedAt: now,
  });
  state.onChange();
}
