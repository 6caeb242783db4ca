import { AppError } from "#core/errors";
import { upsertQuestion } from "#db/queries/ml-data";
import { findQuestion } from "#db/queries/ml-read";
import { MlApiError } from "#integrations/mercadolibre/errors";
import { answerQuestion as answerMlQuestion, getQuestion } from "#integrations/mercadolibre/questions-api";
import { questionRow, type MlQuestion } from "#integrations/mercadolibre/transform";
import type { ActingContext } from "../context";

/**
 * Sends the answer to ML (POST /answers), then stores the question as ML returns it. A
 * question ML no longer considers unanswered is a 409, whatever our row said. The question
 * must already be known to be the seller's (the caller's 404).
 */
export async function answerQuestion({ ctx, input }: { ctx: Pick<ActingContext, "db" | "now" | "ml">; input: { accountId: string; mlQuestionId: number; text: string } }) {
  const { accountId, mlQuestionId, text } = input;
  const { client } = await ctx.ml();
  const fetchedAt = ctx.now();
  let answered: MlQuestion | null;
  try {
    answered = await answerMlQuestion(client.forAccount(accountId), mlQuestionId, text);
  } catch (error) {
    if (error instanceof MlApiError && error.mlStatus === 400) {
      if (error.mlError === "text_too_long")
        throw new AppError("validation_failed", "The answer is too long for MercadoLibre.", { fields: [{ path: "body.text", message: "at most 2,000 characters" }] });
      throw new AppError("conflict", `MercadoLibre refused the answer: ${error.mlError ?? "bad_request"}.`, { cause: error });
    }
    throw error;
  }
  const asked = answered ?? (await getQuestion(client.forAccount(accountId), mlQuestionId));
  await upsertQuestion(ctx.db, accountId, questionRow(asked, fetchedAt));
  return (await findQuestion(ctx.db, [accountId], mlQuestionId))!;
}
