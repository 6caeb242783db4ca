import { z } from "zod";

/**
 * Token maintenance jobs (issue 4): a sweep every 10 minutes finds active accounts whose
 * access token expires within the hour, or that have been idle long enough to risk ML's
 * 4-month inactivity revocation, and fans out one job per account, spread over the window.
 */
export const mlTokenSweepPayload = z.object({
  /** Window the per-account jobs are spread over; the schedule sends {} (5 minutes). 0 = all at once. */
  spreadMs: z.number().int().min(0).max(600_000).optional(),
});

export const mlTokenRefreshPayload = z.object({
  accountId: z.string().uuid(),
  /** Also make one real API call, so ML sees the grant in use (inactivity keep-alive). */
  keepAlive: z.boolean().default(false),
  /** The sweep that produced the job: one job per account per sweep, however often it is redelivered. */
  sweep: z.string().min(1).max(64),
});

export const mlTokenRefreshKey = (payload: z.output<typeof mlTokenRefreshPayload>) => `${payload.accountId}@${payload.sweep}`;
