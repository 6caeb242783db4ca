import { z } from "@hono/zod-openapi";

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string(), code: z.string().optional() })).optional(),
  })
  .openapi("Problem");

const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** Spread into each route's responses so the document lists the errors every route can give. */
export const errorResponses = {
  400: problem("Malformed or invalid input, with field-level details"),
  413: problem("Body larger than the documented limit"),
  500: problem("Unexpected error (no internals are exposed)"),
};

export const authErrorResponses = {
  ...errorResponses,
  401: problem("Missing, expired or invalid access token"),
};

export const jsonBody = <T extends z.ZodType>(schema: T, description?: string) => ({
  required: true,
  ...(description ? { description } : {}),
  content: { "application/json": { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export { problem };
