import { z } from "zod";
import type { CallOptions } from "./client";

/**
 * Value parsers for Tiny's answers, shared by the typed endpoint helpers: the real API sends
 * numbers as strings in places, "" for "no value", and ids as strings in webhooks and creates.
 */

export const tinyNum = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);
export const tinyOptNum = z.union([tinyNum, z.literal("")]).nullish().transform((v) => (v === "" || v === undefined ? null : v));
export const tinyOptStr = z.string().nullish().transform((v) => v ?? null);
export const tinyId = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

/** The abort signal of a call's options, spread into a TinyCall. */
export const callSignal = (options?: CallOptions) => (options?.signal ? { signal: options.signal } : {});
