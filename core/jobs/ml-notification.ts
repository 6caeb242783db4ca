import { z } from "zod";

/**
 * MercadoLibre notification (webhook) payloads, per mercadolibre-api.md §5.1.
 *
 * ML's own examples disagree with each other, so the wire schema is tolerant and the
 * canonical schema is strict: `_id` or `id` (or neither), `user_id` as number or string,
 * the `recieved` typo, `actions` only on subtopic models. `resource` is kept as sent:
 * some topics send it without a leading slash and `messages` sends a bare hex id, so
 * rewriting it here would guess at a URL the processor has to build per topic anyway.
 */

// ML ids are numeric; JSON numbers stay exact up to 2^53, far above today's ids. We store them as
// bigint, so a longer one is no ML id and must be refused here rather than fail the database cast.
const maxBigint = 2n ** 63n - 1n;
const mlNumericId = z
  .union([
    z.number().int().nonnegative(),
    z
      .string()
      .trim()
      .regex(/^\d{1,19}$/, { message: "must be a numeric id", abort: true })
      .refine((value) => BigInt(value) <= maxBigint, "must be a numeric id"),
  ])
  .transform(String);

const timestamp = z.iso.datetime({ offset: true });

// What the jobs store must fit Postgres: text cannot hold NUL (U+0000), attempts is an integer column.
const storable = z.string().refine((value) => !value.includes("\u0000"), "must not contain NUL (U+0000) characters");

/** What the Worker forwards: the body ML POSTed, unchanged. */
export const mlNotificationWire = z
  .object({
    _id: storable.trim().min(1).max(200).optional(),
    id: storable.trim().min(1).max(200).optional(),
    resource: storable.trim().min(1).max(1000),
    user_id: mlNumericId,
    topic: storable.trim().min(1).max(100),
    application_id: mlNumericId,
    attempts: z.number().int().min(1).max(2_147_483_647).optional(),
    sent: timestamp,
    received: timestamp.optional(),
    recieved: timestamp.optional(),
    actions: z.array(storable.min(1).max(100)).max(20).optional(),
  })
  .transform((raw) => ({
    notificationId: raw._id ?? raw.id ?? null,
    resource: raw.resource,
    userId: raw.user_id,
    topic: raw.topic,
    applicationId: raw.application_id,
    attempts: raw.attempts ?? 1,
    sent: raw.sent,
    received: raw.received ?? raw.recieved ?? null,
    actions: raw.actions ?? [],
  }));

/** The normalised notification, as stored in the job and re-validated by the worker. */
export const mlNotification = z.strictObject({
  notificationId: z.string().min(1).nullable(),
  resource: z.string().min(1),
  userId: z.string().regex(/^\d+$/),
  topic: z.string().min(1),
  applicationId: z.string().regex(/^\d+$/),
  attempts: z.number().int().min(1),
  sent: timestamp,
  received: timestamp.nullable(),
  actions: z.array(z.string()),
});

export type MlNotification = z.output<typeof mlNotification>;

/**
 * ML retries an unacknowledged notification with the same `_id` and a higher `attempts`,
 * so the id identifies "the same notification". Without one, topic + resource + sent is
 * what ML's docs suggest; the seller is part of it because resources are per seller.
 * `attempts` and `received` are deliberately left out: they change on every retry.
 */
export function mlNotificationKey(notification: MlNotification): string {
  if (notification.notificationId) return `id|${notification.notificationId}`;
  return ["fallback", notification.userId, notification.topic, notification.resource, notification.sent].join("|");
}
