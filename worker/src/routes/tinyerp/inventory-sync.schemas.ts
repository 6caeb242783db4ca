import { z } from "@hono/zod-openapi";

export const InventorySyncBody = z
  .object({
    accountId: z.string().uuid("must be a UUID").optional().openapi({ description: "Tiny account; may be omitted when you have exactly one active" }),
    productIds: z
      .array(z.number({ message: "must be a Tiny product id" }).int().positive(), { message: "must be a list of Tiny product ids" })
      .min(1)
      .max(500)
      .optional()
      .openapi({ description: "Only these Tiny products (each must be linked); every linked product of the account when omitted" }),
  })
  .strict()
  .openapi("TinyInventorySyncRequest");

export const InventorySyncStartedSchema = z
  .object({
    jobId: z.string(),
    products: z.number().int().openapi({ description: "Distinct Tiny products whose stock will be pushed to their linked listings" }),
  })
  .openapi("TinyInventorySyncStarted");
