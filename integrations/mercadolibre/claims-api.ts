import { z } from "zod";
import { mlClaimSchema, type MlClaim } from "./transform";
import { callParsed, callSignal, pagingModel, type MlCallOptions, type MlCaller } from "./wire";

/** Claims (mercadolibre-api.md §7), under the /post-purchase prefix. */

/** §7: `{paging, data[]}`; each claim is read on its own by the caller. */
export const mlClaimsSearchModel = z.looseObject({
  data: z
    .array(z.unknown())
    .nullish()
    .transform((value) => value ?? []),
  paging: pagingModel,
});
export type MlClaimsSearch = z.output<typeof mlClaimsSearchModel>;

export async function getClaim(ml: MlCaller, claimId: number | string, options?: MlCallOptions): Promise<MlClaim> {
  return (await callParsed(ml, "GET", `/post-purchase/v1/claims/${claimId}`, mlClaimSchema, callSignal(options))).data;
}

/** GET /post-purchase/v1/claims/search; ML wants at least one real filter (`players.user_id` + `players.role` …). */
export async function searchClaims(ml: MlCaller, filters: Record<string, string | number | undefined>, options?: MlCallOptions): Promise<MlClaimsSearch> {
  return (await callParsed(ml, "GET", "/post-purchase/v1/claims/search", mlClaimsSearchModel, { query: filters, ...callSignal(options) })).data;
}
