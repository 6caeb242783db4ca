import { z } from "@hono/zod-openapi";

/**
 * A string that reaches Postgres, as a filter or a stored field. Postgres text cannot hold NUL
 * (U+0000): one would fail the query, a 500, instead of being the caller's 400.
 */
export const text = (params?: Parameters<typeof z.string>[0]) => z.string(params).refine((value) => !value.includes("\u0000"), "must not contain NUL (U+0000) characters");
