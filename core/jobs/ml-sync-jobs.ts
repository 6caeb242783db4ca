import { z } from "zod";

/**
 * Payloads of the sync jobs (docs/ml-sync.md). Runtime-neutral: the Worker publishes
 * `ml.sync` through QStash after inserting the run row; the jobs container schedules
 * `ml.sync.schedule` itself. The run row, not the payload, carries kind, mode and cursor, so a
 * redelivered or retried job always continues the one run it names.
 */
export const mlSyncPayload = z.strictObject({
  runId: z.uuid(),
});

export type MlSyncPayload = z.output<typeof mlSyncPayload>;

export function mlSyncKey(payload: MlSyncPayload): string {
  return `run|${payload.runId}`;
}

/** The scheduler's fan-out covers every active account unless one is named. */
export const mlSyncSchedulePayload = z.strictObject({
  accountId: z.uuid().optional(),
});
