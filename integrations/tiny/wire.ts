import { z } from "zod";
import type { CallOptions } from "./client";

/**
 * Value parsers for Tiny's answers, shared by the typed endpoint helpers: the real API sends
 * numbers as strings in places, "" for "no value", and ids as strings in webhooks and creates.
 */

export const tinyNum = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);
export const tinyOptNum = z
  .union([tinyNum, z.literal("")])
  .nullish()
  .transform((v) => (v === "" || v === undefined ? null : v));
export const tinyOptStr = z
  .string()
  .nullish()
  .transform((v) => v ?? null);
export const tinyId = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);
/** An id that may be missing: null, absent or "" all mean none. */
export const tinyOptId = z
  .union([tinyId, z.literal("")])
  .nullish()
  .transform((v) => (v === "" || v === undefined ? null : v));
/** A number Tiny sends as an int in reads and as a string in creates (numeroPedido), kept as the string. */
export const tinyOptCode = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === "" || v == null ? null : String(v)));

/**
 * A nested reference (`{id, …}`) that may name nothing. Tiny's spec makes the id nullable, and a
 * record without the relation comes back as `{id: null, …}` (e.g. `produtoPai` of a simple
 * product) rather than null: that, an absent block and null all read as null.
 */
export function tinyRef<T extends z.ZodType>(model: T) {
  const namesNothing = (v: unknown) => {
    if (!v || typeof v !== "object" || Array.isArray(v)) return false;
    const ref = (v as { id?: unknown }).id;
    return ref === null || ref === undefined || ref === "";
  };
  return z.preprocess((v) => (namesNothing(v) ? null : v), model.nullish()).transform((v) => v ?? null);
}

/** The abort signal of a call's options, spread into a TinyCall. */
export const callSignal = (options?: CallOptions) => (options?.signal ? { signal: options.signal } : {});
