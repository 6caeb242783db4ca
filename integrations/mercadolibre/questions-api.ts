import { z } from "zod";
import { mlQuestionSchema, type MlQuestion } from "./transform";
import { callParsed, callSignal, parseBody, mlInt, mlOptional, type MlCallOptions, type MlCaller } from "./wire";

/** Questions (mercadolibre-api.md §6), always with `api_version=4`. */

/** §6: `{total, limit, questions[]}`, plus `scroll_id` in scan mode; each question is read on its own by the caller. */
export const mlQuestionsSearchModel = z.looseObject({
  questions: z
    .array(z.unknown())
    .nullish()
    .transform((value) => value ?? []),
  total: mlOptional(mlInt),
  scroll_id: mlOptional(z.string()),
});
export type MlQuestionsSearch = z.output<typeof mlQuestionsSearchModel>;

/** GET /questions/{id}. */
export async function getQuestion(ml: MlCaller, questionId: number | string, options?: MlCallOptions): Promise<MlQuestion> {
  return (await callParsed(ml, "GET", `/questions/${questionId}`, mlQuestionSchema, { query: { api_version: 4 }, ...callSignal(options) })).data;
}

/** GET /questions/search; `filters` are ML's own names (`seller_id`, `sort_fields`, `search_type` …). */
export async function searchQuestions(ml: MlCaller, filters: Record<string, string | number | undefined>, options?: MlCallOptions): Promise<MlQuestionsSearch> {
  return (await callParsed(ml, "GET", "/questions/search", mlQuestionsSearchModel, { query: { api_version: 4, ...filters }, ...callSignal(options) })).data;
}

/**
 * POST /answers. The reference does not show the answer's body (expected: the question): the
 * question when ML returned one, null otherwise (the caller reads it with `getQuestion`).
 */
export async function answerQuestion(ml: MlCaller, questionId: number, text: string, options?: MlCallOptions): Promise<MlQuestion | null> {
  const response = await ml.request<unknown>("POST", "/answers", { body: { question_id: questionId, text }, ...callSignal(options) });
  const body = response.data;
  if (!body || typeof body !== "object" || !("id" in body)) return null;
  return parseBody(response, mlQuestionSchema).data;
}
