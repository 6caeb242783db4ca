import { z } from "zod";
import { callParsed, callSignal, type MlCallOptions, type MlCaller } from "./wire";

/** Missed notifications (mercadolibre-api.md §5.3). */

/** `{messages[]}` (no paging object in the reference); each message is read on its own by the caller. */
export const mlMissedFeedsModel = z.looseObject({
  messages: z
    .array(z.unknown())
    .nullish()
    .transform((value) => value ?? []),
});

/** GET /missed_feeds: notifications ML gave up delivering, kept two days. Pages of `limit` (ML's default is 10). */
export async function getMissedFeeds(ml: MlCaller, page: { appId: string; offset: number; limit: number }, options?: MlCallOptions): Promise<unknown[]> {
  const query = { app_id: page.appId, offset: page.offset, limit: page.limit };
  return (await callParsed(ml, "GET", "/missed_feeds", mlMissedFeedsModel, { query, ...callSignal(options) })).data.messages;
}
