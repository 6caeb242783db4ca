import { z } from "zod";

/** The retention sweep (docs/webhooks.md, "Retention"): scheduled by the jobs container, it names nothing. */
export const retentionPayload = z.strictObject({});
