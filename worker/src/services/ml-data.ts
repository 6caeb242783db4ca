import { AppError } from "#core/errors";
import { MlApiError } from "#integrations/mercadolibre";
import { getItem } from "#integrations/mercadolibre/items-api";
import { getShipment, getShipmentLabel as getMlShipmentLabel } from "#integrations/mercadolibre/shipments-api";
import { listingRow, shipmentRow } from "#integrations/mercadolibre/transform";
import { findMlAccountOfUser } from "#db/queries/ml-accounts";
import { upsertListing, upsertShipment } from "#db/queries/ml-data";
import {
  accountIdsOfUser,
  accountOfShipment,
  findListing,
  findOrder,
  findQuestion,
  findShipment,
  listClaims,
  listListings,
  listOrders,
  listQuestions,
  type Keyset,
  type ListingSort,
} from "#db/queries/ml-read";
import { findSyncRunOfUser } from "#db/queries/ml-sync";
import { answerQuestion as answerQuestionRule } from "#domain/questions/answer";
import { requestMlSyncRun } from "#domain/sync/runs";
import type { MlSyncRun, SyncRunKind, SyncRunMode } from "#db/schema";
import type { Principal } from "../lib/types";
import type { Services } from ".";
import { actingContext } from "./domain-context";
import { requirePublisher } from "./publish-job";

/** The account must be the caller's (404 otherwise) and work must be queueable before the run is recorded. */
export async function requestSync(
  services: Services,
  principal: Principal,
  accountId: string,
  input: { kind: SyncRunKind; mode: SyncRunMode },
  traceId: string,
): Promise<{ run: MlSyncRun; jobId: string }> {
  const account = await findMlAccountOfUser(services.db, principal.userId, accountId);
  if (!account) throw new AppError("not_found", "No such MercadoLibre account.");
  const unavailable = "Syncs cannot be started right now.";
  if (account.status === "active") requirePublisher(services, unavailable);
  const ctx = actingContext(services, principal, { traceId, unavailable, failed: "The sync could not be queued; try again." });
  return requestMlSyncRun({ ctx, input: { account, ...input } });
}

export async function getSyncRun(services: Services, principal: Principal, id: string): Promise<MlSyncRun> {
  const run = await findSyncRunOfUser(services.db, principal.userId, id);
  if (!run) throw new AppError("not_found", "No such sync run.");
  return run;
}

/** The caller's account ids; a filter naming someone else's account is a 404, like its own path would be. */
async function scope(services: Services, principal: Principal, accountId?: string): Promise<string[]> {
  const ids = await accountIdsOfUser(services.db, principal.userId, accountId);
  if (accountId && !ids.length) throw new AppError("not_found", "No such MercadoLibre account.", { fields: [{ path: "query.account", message: "no such account" }] });
  return ids;
}

function page<T>(rows: T[], limit: number, keyOf: (row: T) => unknown): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit && items.length ? encodeCursor(keyOf(items.at(-1)!)) : null };
}

export function encodeCursor(value: unknown): string {
  return btoa(JSON.stringify(value)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Opaque to clients; anything that does not decode to what this list wrote is a 400 on `query.cursor`. */
export function decodeCursor<T>(cursor: string | undefined, check: (value: unknown) => value is T): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
    if (check(value)) return value;
  } catch {
    // falls through to the 400 below
  }
  throw new AppError("validation_failed", "The cursor is not valid for this list.", { fields: [{ path: "query.cursor", message: "not a cursor this list issued (or for another sort)" }] });
}

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A cursor is ours only as we wrote it: toISOString() dates, text Postgres can hold. Anything else
// (a year alone, a NUL) would reach the query and fail there, a 500 instead of the client's 400.
const isDateString = (v: unknown): v is string => typeof v === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) && !Number.isNaN(Date.parse(v));

function keysetCheck(sort: string, valueOk: (v: unknown) => boolean) {
  return (value: unknown): value is { s: string; v: Keyset["value"]; id: string } => {
    const c = value as { s?: unknown; v?: unknown; id?: unknown } | null;
    return !!c && typeof c === "object" && c.s === sort && typeof c.id === "string" && uuidRe.test(c.id) && (c.v === null || valueOk(c.v));
  };
}

// ---------------------------------------------------------------------------------------------

export async function listListingsFor(
  services: Services,
  principal: Principal,
  query: { account?: string | undefined; status?: string | undefined; sku?: string | undefined; q?: string | undefined; sort: ListingSort; cursor?: string | undefined; limit: number },
) {
  const accountIds = await scope(services, principal, query.account);
  const valueOk = query.sort.endsWith("updated")
    ? isDateString
    : query.sort.endsWith("price")
      ? (v: unknown) => typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v)
      : (v: unknown) => typeof v === "string" && !v.includes("\u0000");
  const cursor = decodeCursor(query.cursor, keysetCheck(query.sort, valueOk));
  const rows = await listListings(services.db, {
    accountIds,
    status: query.status,
    sku: query.sku,
    text: query.q,
    sort: query.sort,
    after: cursor ? { value: cursor.v, id: cursor.id } : undefined,
    limit: query.limit + 1,
  });
  const column = query.sort.replace("-", "");
  return page(rows, query.limit, (row) => ({
    s: query.sort,
    v: column === "updated" ? row.mlLastUpdated.toISOString() : column === "title" ? row.title : row.price,
    id: row.id,
  }));
}

/** From Postgres; `refresh` reads the listing from ML first and stores it (the same upsert the syncs use). */
export async function getListingFor(services: Services, principal: Principal, id: string, refresh: boolean) {
  const accountIds = await scope(services, principal);
  const found = await findListing(services.db, accountIds, id);
  if (!found) throw new AppError("not_found", "No such listing.");
  if (!refresh) return found;
  const { client } = await services.ml();
  const fetchedAt = services.now();
  const item = await getItem(client.forAccount(found.listing.accountId), found.listing.mlItemId, { allAttributes: true });
  // Neon's HTTP driver has no transactions; the upsert's own transaction runs on the WebSocket pool.
  await services.transaction((tx) => upsertListing(tx, found.listing.accountId, listingRow(item, fetchedAt)));
  return (await findListing(services.db, accountIds, found.listing.id))!;
}

export async function listOrdersFor(
  services: Services,
  principal: Principal,
  query: { account?: string | undefined; status?: string | undefined; from?: Date | undefined; to?: Date | undefined; buyer?: string | undefined; cursor?: string | undefined; limit: number },
) {
  const accountIds = await scope(services, principal, query.account);
  const cursor = decodeCursor(query.cursor, keysetCheck("-created", isDateString));
  const rows = await listOrders(services.db, { ...query, accountIds, after: cursor ? { value: cursor.v, id: cursor.id } : undefined, limit: query.limit + 1 });
  return page(rows, query.limit, (row) => ({ s: "-created", v: row.mlDateCreated?.toISOString() ?? null, id: row.id }));
}

export async function getOrderFor(services: Services, principal: Principal, id: string) {
  const found = await findOrder(services.db, await scope(services, principal), id);
  if (!found) throw new AppError("not_found", "No such order.");
  return found;
}

export async function listQuestionsFor(
  services: Services,
  principal: Principal,
  query: { account?: string | undefined; status?: string | undefined; item?: string | undefined; cursor?: string | undefined; limit: number },
) {
  const accountIds = await scope(services, principal, query.account);
  const cursor = decodeCursor(query.cursor, (value: unknown): value is { s: "questions"; r: number; d: string; id: string } => {
    const c = value as { s?: unknown; r?: unknown; d?: unknown; id?: unknown } | null;
    return !!c && c.s === "questions" && (c.r === 0 || c.r === 1) && isDateString(c.d) && typeof c.id === "string" && uuidRe.test(c.id);
  });
  const rows = await listQuestions(services.db, {
    accountIds,
    status: query.status,
    itemId: query.item,
    after: cursor ? { rank: cursor.r, date: cursor.d, id: cursor.id } : undefined,
    limit: query.limit + 1,
  });
  const result = page(rows, query.limit, (row) => ({ s: "questions", r: Number(row.rank), d: (row.question.mlDateCreated ?? new Date(0)).toISOString(), id: row.question.id }));
  return { items: result.items.map((row) => row.question), nextCursor: result.nextCursor };
}

/** The question must be among the caller's (404 otherwise); the rule answers it on ML. */
export async function answerQuestion(services: Services, principal: Principal, mlQuestionId: number, text: string) {
  const accountIds = await scope(services, principal);
  const question = await findQuestion(services.db, accountIds, mlQuestionId);
  if (!question) throw new AppError("not_found", "No such question.");
  return answerQuestionRule({ ctx: actingContext(services, principal), input: { accountId: question.accountId, mlQuestionId, text } });
}

export async function listClaimsFor(services: Services, principal: Principal, query: { account?: string | undefined; status?: string | undefined; cursor?: string | undefined; limit: number }) {
  const accountIds = await scope(services, principal, query.account);
  const cursor = decodeCursor(query.cursor, keysetCheck("-created", isDateString));
  const rows = await listClaims(services.db, { accountIds, status: query.status, after: cursor ? { value: cursor.v, id: cursor.id } : undefined, limit: query.limit + 1 });
  return page(rows, query.limit, (row) => ({ s: "-created", v: row.mlDateCreated?.toISOString() ?? null, id: row.id }));
}

/** The shipment's account: ours when stored, else the account whose order ships it. */
async function shipmentAccount(services: Services, principal: Principal, mlShipmentId: number) {
  const accountIds = await scope(services, principal);
  const stored = await findShipment(services.db, accountIds, mlShipmentId);
  const accountId = stored?.accountId ?? (await accountOfShipment(services.db, accountIds, mlShipmentId));
  if (!accountId) throw new AppError("not_found", "No such shipment.");
  return { accountIds, stored, accountId };
}

/** From Postgres; fetched from ML (and stored) when an order of yours names it but we hold no row yet, or on `refresh`. */
export async function getShipmentFor(services: Services, principal: Principal, mlShipmentId: number, refresh: boolean) {
  const { accountIds, stored, accountId } = await shipmentAccount(services, principal, mlShipmentId);
  if (stored && !refresh) return stored;
  const { client } = await services.ml();
  const fetchedAt = services.now();
  await upsertShipment(services.db, accountId, shipmentRow(await getShipment(client.forAccount(accountId), mlShipmentId), fetchedAt));
  return (await findShipment(services.db, accountIds, mlShipmentId))!;
}

/**
 * The label straight from ML, bytes untouched: PDF, or ML's ZIP holding the ZPL file. ML
 * marks the shipment printed when the label is downloaded (§8); its `shipments` webhook
 * brings that state back to our row.
 */
export async function getShipmentLabel(services: Services, principal: Principal, mlShipmentId: number, format: "pdf" | "zpl") {
  const { accountId } = await shipmentAccount(services, principal, mlShipmentId);
  const { client } = await services.ml();
  try {
    return await getMlShipmentLabel(client.forAccount(accountId), mlShipmentId, format);
  } catch (error) {
    if (error instanceof MlApiError && error.mlStatus === 400) {
      throw new AppError("conflict", "MercadoLibre has no printable label for this shipment (it must be ready_to_ship / ready_to_print on an ME2 drop-off or cross-docking).", { cause: error });
    }
    throw error;
  }
}
