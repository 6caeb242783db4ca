import { z } from "zod";
import { mlOrderSchema, type MlOrder } from "./transform";
import { callParsed, callSignal, pagingModel, type MlCallOptions, type MlCaller } from "./wire";

/** Orders (mercadolibre-api.md §4). */

/**
 * §4.1. The results are full orders, kept unparsed here: callers read each one on its own, so
 * one order our model refuses does not hide the rest of the page.
 */
export const mlOrdersSearchModel = z.looseObject({
  results: z
    .array(z.unknown())
    .nullish()
    .transform((value) => value ?? []),
  paging: pagingModel,
});
export type MlOrdersSearch = z.output<typeof mlOrdersSearchModel>;

export interface MlOrderRead {
  /** 200, or 206 when ML could not load some parts of the order. */
  status: number;
  order: MlOrder;
  /** A 206's `X-Content-Missing` ("buyer, shipping"): the parts our stored row should keep from an earlier answer. */
  missingFields: string[];
}

/** The parts a 206 left out, from `X-Content-Missing`; none on a full answer. */
export function missingFieldsOf(status: number, headers: Headers): string[] {
  if (status !== 206) return [];
  return (headers.get("x-content-missing") ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

/** GET /orders/{id} (§4.2). */
export async function getOrder(ml: MlCaller, orderId: string | number, options?: MlCallOptions): Promise<MlOrderRead> {
  const response = await callParsed(ml, "GET", `/orders/${orderId}`, mlOrderSchema, callSignal(options));
  return { status: response.status, order: response.data, missingFields: missingFieldsOf(response.status, response.headers) };
}

/** GET /orders/search as the seller; `filters` are ML's own names (`order.date_last_updated.from`, `sort` …). */
export async function searchOrders(ml: MlCaller, mlUserId: number, filters: Record<string, string | number | undefined>, options?: MlCallOptions): Promise<MlOrdersSearch> {
  return (await callParsed(ml, "GET", "/orders/search", mlOrdersSearchModel, { query: { seller: mlUserId, ...filters }, ...callSignal(options) })).data;
}
