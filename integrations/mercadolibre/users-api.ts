import { z } from "zod";
import { callParsed, callSignal, mlInt, mlOptional, type MlCallOptions, type MlCaller } from "./wire";

/** Users (mercadolibre-api.md §2). */

/** The token owner's profile: only the id is needed to know the grant works; the rest varies by site and account. */
export const mlMeModel = z.looseObject({ id: mlInt, nickname: mlOptional(z.string()), site_id: mlOptional(z.string()) });
export type MlMe = z.output<typeof mlMeModel>;

/** GET /users/me for an account, through its tokens (the connect flow, before any account row, uses `fetchMlUserMe`). */
export async function getMe(ml: MlCaller, options?: MlCallOptions): Promise<MlMe> {
  return (await callParsed(ml, "GET", "/users/me", mlMeModel, callSignal(options))).data;
}
