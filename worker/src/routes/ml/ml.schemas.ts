import { z } from "@hono/zod-openapi";
import { defaultMlSite, mlSiteIds } from "#integrations/mercadolibre";
import type { MlAccountEvent, MlAccountSummary } from "#db/queries/ml-accounts";
import { ONE_TIME_CODE_SHAPE } from "../../services/oauth-state";

const booleanFlag = (description: string) =>
  z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("false")
    .transform((value) => value === "true")
    .openapi({ description });

export const StartQuery = z.object({
  site: z
    .enum(mlSiteIds, { message: `must be one of ${mlSiteIds.join(", ")}` })
    .default(defaultMlSite)
    .openapi({ description: "ML site (country) whose authorization page to use", example: "MLB" }),
  redirect: booleanFlag("true: answer 302 to ML's authorization page instead of JSON"),
});

export const StartResponse = z
  .object({
    url: z.string().url().openapi({ description: "ML's authorization page; the state in it works once, for 10 minutes" }),
    expiresAt: z.string().datetime(),
  })
  .openapi("MlConnectStart");

export const CallbackQuery = z
  .object({
    state: z.string().min(1).max(200),
    code: z.string().min(1).max(512).optional(),
    error: z.string().min(1).max(200).optional(),
    error_description: z.string().max(2000).optional(),
  })
  .refine((query) => query.code !== undefined || query.error !== undefined, { message: "code or error is required", path: ["code"] });

export const CompleteBody = z
  .object({
    grant: z.string({ message: "must be the grant from the dashboard URL" }).regex(ONE_TIME_CODE_SHAPE, "must be the grant from the dashboard URL").openapi({
      description: "The `grant` the callback put in the dashboard URL (ml_connect=pending&grant=…); works once, for 5 minutes",
    }),
  })
  .openapi("MlConnectComplete");

export const MlAccountStatusSchema = z.enum(["active", "reauth_required", "disconnected"]);

export const MlAccountSchema = z
  .object({
    id: z.string().uuid(),
    mlUserId: z.number().int(),
    nickname: z.string(),
    siteId: z.string(),
    status: MlAccountStatusSchema,
    accessTokenExpiresAt: z.string().datetime().nullable(),
    lastRefreshAt: z.string().datetime().nullable(),
    lastApiCallAt: z.string().datetime().nullable().openapi({ description: "Last successful call to ML (ML revokes grants after 4 months without one)" }),
    lastSyncAt: z.string().datetime().nullable(),
    connectedAt: z.string().datetime(),
    disconnectedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi("MlAccount");

export const MlAccountListSchema = z.object({ items: z.array(MlAccountSchema) }).openapi("MlAccountList");

export const MlAccountEventSchema = z
  .object({
    id: z.string().uuid(),
    type: z.string(),
    level: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string().datetime(),
  })
  .openapi("MlAccountEvent");

export const MlAccountEventListSchema = z.object({ items: z.array(MlAccountEventSchema) }).openapi("MlAccountEventList");

export const AccountIdParams = z.object({
  id: z
    .string()
    .uuid("must be a UUID")
    .openapi({ param: { name: "id", in: "path" } }),
});

export const DeleteQuery = z.object({
  purge: booleanFlag("true: also delete the account row, its events and every record synced for it"),
});

export const EventsQuery = z.object({
  limit: z.coerce.number({ message: "must be a number" }).int().min(1).max(200).default(50),
});

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** Built from the summary columns only: a token column cannot reach a response by accident. */
export function toMlAccountDto(account: MlAccountSummary): z.infer<typeof MlAccountSchema> {
  return {
    id: account.id,
    mlUserId: account.mlUserId,
    nickname: account.nickname,
    siteId: account.siteId,
    status: account.status,
    accessTokenExpiresAt: iso(account.accessExpiresAt),
    lastRefreshAt: iso(account.lastRefreshAt),
    lastApiCallAt: iso(account.lastApiCallAt),
    lastSyncAt: iso(account.lastSyncAt),
    connectedAt: account.connectedAt.toISOString(),
    disconnectedAt: iso(account.disconnectedAt),
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  };
}

export function toMlAccountEventDto(event: MlAccountEvent): z.infer<typeof MlAccountEventSchema> {
  return { id: event.id, type: event.type, level: event.level, message: event.message, details: event.details ?? null, createdAt: event.createdAt.toISOString() };
}
