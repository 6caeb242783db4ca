import { z } from "zod";

/**
 * Payloads of the jobs around `ml.webhook`: replays from the API and the two recovery passes.
 * Runtime-neutral: the Worker publishes replays through QStash, the jobs container schedules
 * the recovery passes itself.
 */

/** How long an ML notification waits before it is processed (see the "ml.webhook" catalog entry). */
export const mlWebhookCoalesceMs = 1_000;

export const mlWebhookReplay = z.strictObject({
  eventId: z.uuid(),
  /** The event's replay count after this replay was claimed. */
  replay: z.number().int().min(1).max(32_767),
});

export type MlWebhookReplay = z.output<typeof mlWebhookReplay>;

export function mlWebhookReplayKey(payload: MlWebhookReplay): string {
  return `replay|${payload.eventId}|${payload.replay}`;
}

/** Both recovery passes cover every active account unless one is named (the API's "run now"). */
export const mlRecoveryPayload = z.strictObject({
  accountId: z.uuid().optional(),
});
