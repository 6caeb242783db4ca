import { z } from "@hono/zod-openapi";
import type { TinyProductSyncRun } from "#db/schema";

export const ProductSyncRequest = z
  .object({
    accountId: z.string().uuid("must be a UUID").optional().openapi({ description: "Tiny account to sync into; may be omitted when you have exactly one" }),
  })
  .strict()
  .openapi("TinyProductSyncRequest");

export const ProductSyncRunParams = z.object({
  id: z
    .string()
    .uuid("must be a UUID")
    .openapi({ param: { name: "id", in: "path" } }),
});

const count = z.number().int();

export const ProductSyncRunSchema = z
  .object({
    id: z.string().uuid(),
    tinyAccountId: z.string().uuid(),
    status: z.enum(["queued", "running", "succeeded", "failed"]),
    trigger: z.string().openapi({ description: "api or schedule" }),
    counts: z
      .object({
        listings: count,
        items: count.openapi({ description: "Listings without variations plus variations" }),
        created: count,
        updated: count,
        unchanged: count,
        linked: count.openapi({ description: "Sync links written or changed" }),
        manual: count.openapi({ description: "Items with a manual link: left alone" }),
        problems: count.openapi({ description: "Items reported instead of synced" }),
        tinyReads: count,
        tinyWrites: count,
      })
      .openapi({ description: "So far; final when status is succeeded or failed" }),
    problems: z
      .array(
        z.object({
          mlItemId: z.string(),
          mlVariationId: z.number().int().nullable(),
          sku: z.string().nullable(),
          code: z.enum(["missing_sku", "duplicate_sku", "ambiguous_tiny_sku", "linked_elsewhere", "tiny_rejected", "failed"]),
          message: z.string(),
        }),
      )
      .openapi({ description: "Unlinked or ambiguous items, never guessed (first 200)" }),
    lastError: z.string().nullable(),
    createdAt: z.string().datetime(),
    startedAt: z.string().datetime().nullable(),
    finishedAt: z.string().datetime().nullable(),
  })
  .openapi("TinyProductSyncRun");

export const ProductSyncStartedSchema = z.object({ run: ProductSyncRunSchema, jobId: z.string() }).openapi("TinyProductSyncStarted");

export const ProductSyncConflictSchema = z
  .object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string(), code: z.string(), runId: z.string().uuid(), requestId: z.string().optional() })
  .openapi("TinyProductSyncConflict");

export function toProductSyncRunDto(run: TinyProductSyncRun): z.infer<typeof ProductSyncRunSchema> {
  const c = run.counts;
  return {
    id: run.id,
    tinyAccountId: run.tinyAccountId,
    status: run.status,
    trigger: run.trigger,
    counts: {
      listings: c.listings ?? 0,
      items: c.items ?? 0,
      created: c.created ?? 0,
      updated: c.updated ?? 0,
      unchanged: c.unchanged ?? 0,
      linked: c.linked ?? 0,
      manual: c.manual ?? 0,
      problems: c.problems ?? 0,
      tinyReads: c.tinyReads ?? 0,
      tinyWrites: c.tinyWrites ?? 0,
    },
    problems: run.problems,
    lastError: run.lastError,
    createdAt: run.createdAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}
