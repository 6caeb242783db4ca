import { z } from "zod";

/**
 * Tiny token keep-alive (issue 7). Tiny refresh tokens live one day and rotate on every use;
 * an account nobody refreshes for a day is lost until its user reconnects. The scheduled sweep
 * refreshes every active account long before that, whether or not anything else uses it.
 */
export const tinyKeepAlivePayload = z.strictObject({
  /** Only this account (the API's "refresh now" and tests); all due accounts otherwise. */
  accountId: z.uuid().optional(),
});
