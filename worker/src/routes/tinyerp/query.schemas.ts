import { z } from "@hono/zod-openapi";

/**
 * Date filters sent to Tiny as they are: calendar days in São Paulo ("YYYY-MM-DD"), which is how
 * Tiny reads them. Checked here so an impossible day is the caller's 400, never Tiny's.
 */
export const tinyDate = (description: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD")
    .refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), "must be a real calendar date")
    .optional()
    .openapi({ description, example: "2026-07-01" });

/** dataInicial after dataFinal can only be a mistake: reported on dataFinal. */
export const orderedRange = (query: { dataInicial?: string | undefined; dataFinal?: string | undefined }, ctx: z.RefinementCtx) => {
  if (query.dataInicial && query.dataFinal && query.dataInicial > query.dataFinal) {
    ctx.addIssue({ code: "custom", path: ["dataFinal"], message: "must not be before dataInicial" });
  }
};
