import { z } from "@hono/zod-openapi";
import type { WebhookEvent } from "#db/schema";
import { webhookEventStatus } from "#db/schema";
import { text } from "../text.schemas";

export const WebhookAckSchema = z
  .object({
    status: z.enum(["accepted", "dropped"]),
    messageId: z.string().optional().openapi({ description: "QStash message id (accepted only)" }),
    deduplicated: z.boolean().optional(),
    reason: z.enum(["foreign_app", "unhandled_topic", "unknown_account"]).optional(),
  })
  .openapi("WebhookAck");

/** Documentation only: the handler parses with core/jobs/ml-notification.ts. */
export const MlNotificationDoc = z
  .object({
    _id: z.string().optional(),
    id: z.string().optional(),
    resource: z.string().openapi({ example: "/orders/2000009713473608" }),
    user_id: z.union([z.number(), z.string()]),
    topic: z.string().openapi({ example: "orders_v2" }),
    application_id: z.union([z.number(), z.string()]),
    attempts: z.number().optional(),
    sent: z.string(),
    received: z.string().optional(),
    actions: z.array(z.string()).optional(),
  })
  .openapi("MlNotification");

export const WebhookEventSchema = z
  .object({
    id: z.string().uuid(),
    accountId: z.string().uuid().nullable(),
    mlNotificationId: z.string().nullable(),
    mlUserId: z.number().int(),
    topic: z.string(),
    resource: z.string(),
    status: z.enum(webhookEventStatus.enumValues),
    outcome: z.string().nullable(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    source: z.string(),
    traceId: z.string().nullable(),
    replayCount: z.number().int(),
    mlSentAt: z.string().datetime().nullable(),
    enqueuedAt: z.string().datetime().nullable(),
    processedAt: z.string().datetime().nullable(),
    failedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi("WebhookEvent");

export const WebhookEventPageSchema = z.object({ events: z.array(WebhookEventSchema), nextCursor: z.string().uuid().nullable() }).openapi("WebhookEventPage");

export const ReplaySchema = z.object({ event: WebhookEventSchema, jobId: z.string() }).openapi("WebhookReplay");

export const EventListQuery = z.object({
  status: z
    .enum(webhookEventStatus.enumValues)
    .optional()
    .openapi({ param: { name: "status", in: "query" } }),
  topic: text()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .openapi({ param: { name: "topic", in: "query" } }),
  account: z
    .string()
    .uuid("must be a UUID")
    .optional()
    .openapi({ param: { name: "account", in: "query" }, description: "ML account id" }),
  cursor: z
    .string()
    .uuid("must be a cursor from nextCursor")
    .optional()
    .openapi({ param: { name: "cursor", in: "query" } }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(50)
    .openapi({ param: { name: "limit", in: "query" } }),
});

export const EventIdParams = z.object({
  id: z
    .string()
    .uuid("must be a UUID")
    .openapi({ param: { name: "id", in: "path" } }),
});

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

export function toWebhookEventDto(event: WebhookEvent): z.infer<typeof WebhookEventSchema> {
  return {
    id: event.id,
    accountId: event.accountId,
    mlNotificationId: event.mlNotificationId,
    mlUserId: event.mlUserId,
    topic: event.topic,
    resource: event.resource,
    status: event.status,
    outcome: event.outcome,
    attempts: event.attempts,
    lastError: event.lastError,
    source: event.source,
    traceId: event.traceId,
    replayCount: event.replayCount,
    mlSentAt: iso(event.mlSentAt),
    enqueuedAt: iso(event.enqueuedAt),
    processedAt: iso(event.processedAt),
    failedAt: iso(event.failedAt),
    createdAt: event.createdAt.toISOString(),
    updatedAt: event.updatedAt.toISOString(),
  };
}
