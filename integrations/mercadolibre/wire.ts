import { z } from "zod";
import type { MlAccountClient, MlRequestOptions, MlResponse } from "./client";

/**
 * What the endpoint modules (`<resource>-api.ts`) share. They take any `MlCaller` for one
 * account: `client.forAccount(id)`, or a wrapper that adds the account's call budget and extra
 * retries (the full sync's session), so every caller keeps its own pacing and the modules only
 * know ML's shapes.
 */
export type MlCaller = Pick<MlAccountClient, "request">;

export interface MlCallOptions {
  signal?: AbortSignal | undefined;
}

export const callSignal = (options?: MlCallOptions) => (options?.signal ? { signal: options.signal } : {});

export const mlOptional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((value) => value ?? null);
export const mlInt = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

/** `paging` of ML's search envelopes: `{total, offset, limit}`, any of them may be missing. */
export const pagingModel = mlOptional(z.looseObject({ total: mlOptional(mlInt), offset: mlOptional(mlInt), limit: mlOptional(mlInt) }));

/**
 * A 2xx body our model refused. Still a ZodError, so callers that handled the transform's
 * ZodError before handle this one the same; it also keeps the body and status, which the
 * caller needs to log where the body broke the model (`describeParseFailure`).
 */
export class MlUnreadableBody extends z.ZodError {
  constructor(
    error: z.ZodError,
    readonly body: unknown,
    readonly status: number,
  ) {
    super(error.issues);
  }
}

/** zod's `instanceof` matches every ZodError by trait, so the body is told apart by its fields. */
export function isMlUnreadableBody(error: unknown): error is MlUnreadableBody {
  return error instanceof z.ZodError && "body" in error && "status" in error;
}

/** One call whose 2xx body is parsed with `model`; the status and headers stay (206, x-version). */
export async function callParsed<T extends z.ZodType>(ml: MlCaller, method: "GET" | "POST" | "PUT", path: string, model: T, options: MlRequestOptions = {}): Promise<MlResponse<z.output<T>>> {
  return parseBody(await ml.request<unknown>(method, path, options), model);
}

export function parseBody<T extends z.ZodType>(response: MlResponse<unknown>, model: T): MlResponse<z.output<T>> {
  const parsed = model.safeParse(response.data);
  if (!parsed.success) throw new MlUnreadableBody(parsed.error, response.data, response.status);
  return { status: response.status, headers: response.headers, data: parsed.data };
}
