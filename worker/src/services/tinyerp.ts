import { AppError } from "#core/errors";
import { errorFields } from "#core/log";
import { createPkcePair } from "#core/oauth/pkce";
import {
  TinyApiError,
  exchangeTinyCode,
  fetchTinyInfo,
  isTinyInvalidGrant,
  normaliseCnpj,
  parseTinyDateTime,
  tinyAuthorizationUrl,
  type TinyProductListItem,
  type TinyStock,
  type TinyTokenSet,
} from "#integrations/tiny";
import {
  findTinyAccountOfUser,
  listProductLinks,
  listTinyAccountEvents,
  listTinyAccountsOfUser,
  listUnlinkedListings,
  upsertTinyProducts,
  type ProductLinkView,
  type TinyAccountEvent,
  type TinyAccountSummary,
  type UnlinkedListing,
} from "#db/queries/tiny";
import { changeTinyAccountSettings, connectTinyAccount, disconnectedAccountError, disconnectTinyErpAccount } from "#domain/accounts/tiny-account";
import { changeProductLinks, type LinkChange, type LinkChangeResult } from "#domain/listings/product-links";
import { findOwnTinyAccountAnyStatus, type TinyAccountSettings } from "#db/queries/tiny-account-settings";
import { findStockLinks, listStoredStock, type StockLink, type StoredStockRow } from "#db/queries/tiny-stock";
import { tinyProductRow } from "#integrations/tiny/transform";
import type { Principal } from "../lib/types";
import { codeRejected, connectFailure as fail, connectOutcomeUrl, issueOAuthState, receiveCallback, takeOAuthGrant, type ConnectOutcome } from "./oauth-state";
import type { Services } from ".";
import { actingContext, domainContext } from "./domain-context";

const PROVIDER = "tiny";

interface PendingConnect {
  verifier: string;
}

export async function startConnect(services: Services, principal: Principal): Promise<{ url: string; expiresAt: string }> {
  const { config } = await services.tiny();
  const pkce = await createPkcePair();
  const issued = await issueOAuthState<PendingConnect>(services, {
    provider: PROVIDER,
    userId: principal.userId,
    data: { verifier: pkce.verifier },
    ttlSeconds: services.config.TINY_OAUTH_STATE_TTL_SECONDS,
  });
  return { url: tinyAuthorizationUrl(config, { state: issued.state, codeChallenge: pkce.challenge }), expiresAt: issued.expiresAt.toISOString() };
}

/** The browser lands here from Tiny: the state is spent (a denied consent spends it too), and the code parked for the dashboard. */
export async function receiveConnectCallback(services: Services, query: { state: string; code?: string | undefined; error?: string | undefined }): Promise<ConnectOutcome> {
  // 503 before the state is spent, should the integration have been unconfigured since the start.
  await services.tiny();
  return receiveCallback<PendingConnect>(services, {
    provider: PROVIDER,
    providerName: "Tiny",
    query,
    refusals: { access_denied: fail("access_denied", 403, "Tiny ERP access was not authorized.") },
  });
}

const tinyUnavailable = (message: string) => new AppError("bad_gateway", message);

/**
 * The dashboard completes what the callback parked, as the signed-in user, who must be the one
 * who started the flow (see oauth-state.ts). Only then is the code exchanged and the company
 * identified; storing it for the seller is the rule's (domain/accounts/tiny-account.ts).
 */
export async function completeConnect(services: Services, principal: Principal, grant: string): Promise<{ result: "connected" | "reconnected"; account: TinyAccountSummary }> {
  const tiny = await services.tiny();
  const pending = await takeOAuthGrant<PendingConnect>(services, PROVIDER, principal, grant);
  const log = services.logger.child({ userId: principal.userId });

  let tokens: TinyTokenSet;
  try {
    tokens = await exchangeTinyCode(tiny.config, { code: pending.code, codeVerifier: pending.verifier }, { now: services.now });
  } catch (error) {
    log.warn("tiny code exchange failed", errorFields(error));
    if (isTinyInvalidGrant(error)) throw codeRejected("Tiny");
    throw tinyUnavailable("Tiny could not complete the connection; start again.");
  }

  let cnpj: string | null;
  let companyName: string;
  let tradeName: string | null;
  try {
    const info = await fetchTinyInfo(tiny.transport, tokens.accessToken);
    cnpj = normaliseCnpj(info.cpfCnpj);
    companyName = info.razaoSocial || info.fantasia || "";
    tradeName = info.fantasia || null;
  } catch (error) {
    log.warn("tiny /info failed during connect", errorFields(error));
    throw tinyUnavailable("Tiny could not complete the connection; start again.");
  }
  if (!cnpj || !companyName) throw tinyUnavailable("Tiny did not identify the company (no CNPJ or name in /info).");

  const { result, accountId } = await connectTinyAccount({ ctx: actingContext(services, principal), input: { tokens, company: { cnpj, companyName, tradeName } } });
  return { result, account: await ownAccount(services, principal, accountId) };
}

/** The outcome's `error` codes are documented in docs/tiny.md. */
export function connectRedirect(services: Services, outcome: ConnectOutcome): string {
  return connectOutcomeUrl(services.config.TINY_DASHBOARD_URL, "tiny_connect", outcome);
}

export function listAccounts(services: Services, principal: Principal): Promise<TinyAccountSummary[]> {
  return listTinyAccountsOfUser(services.db, principal.userId);
}

/** 404 for a missing id and for someone else's: the answer must not tell them apart. */
async function ownAccount(services: Services, principal: Principal, id: string): Promise<TinyAccountSummary> {
  const account = await findTinyAccountOfUser(services.db, principal.userId, id);
  if (!account) throw new AppError("not_found", "No such Tiny ERP account.");
  return account;
}

export async function accountEvents(services: Services, principal: Principal, id: string, limit: number): Promise<TinyAccountEvent[]> {
  await ownAccount(services, principal, id);
  return listTinyAccountEvents(services.db, id, limit);
}

/** Tokens are deleted at once; the row stays (status disconnected) so a reconnect keeps the product links. */
export async function disconnectAccount(services: Services, principal: Principal, id: string): Promise<void> {
  await ownAccount(services, principal, id);
  await disconnectTinyErpAccount({ ctx: domainContext(services), input: { accountId: id } });
}

/**
 * The account a Tiny call is for: the one named, or the user's only active one. Several
 * accounts and none named is the caller's to resolve — we never pick one for them.
 * `location` is where the request carried `accountId`, for the field error.
 */
export async function resolveAccount(services: Services, principal: Principal, accountId: string | undefined, location: "query" | "body" = "query"): Promise<TinyAccountSummary> {
  if (accountId) return ownAccount(services, principal, accountId);
  const accounts = (await listTinyAccountsOfUser(services.db, principal.userId)).filter((a) => a.status === "active");
  if (accounts.length === 1) return accounts[0]!;
  if (accounts.length === 0) throw new AppError("not_found", "No Tiny ERP account is connected.");
  throw new AppError("validation_failed", "You have several Tiny ERP accounts; name one.", {
    fields: [{ path: `${location}.accountId`, message: "required when several Tiny accounts are connected", code: "required" }],
  });
}

/**
 * The user's account, for changing how it is used. A disconnected one is still theirs, so it
 * is a 409 (reconnect first) rather than ownAccount's 404; another user's is a 404 all the same.
 */
export async function configurableAccount(services: Services, principal: Principal, id: string): Promise<TinyAccountSummary> {
  const account = await findOwnTinyAccountAnyStatus(services.db, principal.userId, id);
  if (!account) throw new AppError("not_found", "No such Tiny ERP account.");
  if (account.status === "disconnected") throw disconnectedAccountError();
  return account;
}

export async function changeAccountSettings(services: Services, principal: Principal, id: string, settings: TinyAccountSettings): Promise<TinyAccountSummary> {
  await configurableAccount(services, principal, id);
  return changeTinyAccountSettings({ ctx: domainContext(services), input: { accountId: id, settings } });
}

// ---------------------------------------------------------------------------------------------
// Products

export interface ProductQuery {
  accountId?: string | undefined;
  name?: string | undefined;
  sku?: string | undefined;
  gtin?: string | undefined;
  status?: "A" | "I" | "E" | undefined;
  limit: number;
  offset: number;
}

export interface ProductPage {
  accountId: string;
  items: TinyProductListItem[];
  pagination: { limit: number; offset: number; total: number };
}

/** One Tiny read per page. The page also refreshes the local catalogue cache that links use. */
export async function listProducts(services: Services, principal: Principal, query: ProductQuery): Promise<ProductPage> {
  const account = await resolveAccount(services, principal, query.accountId);
  const tiny = await services.tiny();
  const page = await tiny.client.forAccount(account.id).listProducts({
    nome: query.name,
    codigo: query.sku,
    gtin: query.gtin,
    situacao: query.status,
    limit: query.limit,
    offset: query.offset,
  });
  await upsertTinyProducts(
    services.db,
    account.id,
    page.itens.map((p) => tinyProductRow(p, parseTinyDateTime(p.dataAlteracao) ?? parseTinyDateTime(p.dataCriacao))),
    services.now(),
  );
  return { accountId: account.id, items: page.itens, pagination: { limit: page.paginacao.limit, offset: page.paginacao.offset, total: page.paginacao.total } };
}

// ---------------------------------------------------------------------------------------------
// Product links

export interface LinksQuery {
  accountId?: string | undefined;
  mlItemId?: string | undefined;
  limit: number;
  offset: number;
}

export interface LinksPage {
  links: ProductLinkView[];
  total: number;
  unlinked: UnlinkedListing[];
  unlinkedTotal: number;
}

/** Links, and — never guessed — every listing or variation still without one, for the seller to resolve. */
export async function getProductLinks(services: Services, principal: Principal, query: LinksQuery): Promise<LinksPage> {
  if (query.accountId) await ownAccount(services, principal, query.accountId);
  const [links, unlinked] = await Promise.all([
    listProductLinks(services.db, principal.userId, query),
    listUnlinkedListings(services.db, principal.userId, { mlItemId: query.mlItemId, limit: query.limit, offset: query.offset }),
  ]);
  return { links: links.links, total: links.total, unlinked: unlinked.items, unlinkedTotal: unlinked.total };
}

/** The rule checks that every listing and Tiny account is the seller's: it answers field errors, never a 404. */
export function putProductLinks(services: Services, principal: Principal, changes: LinkChange[]): Promise<LinkChangeResult[]> {
  return changeProductLinks({ ctx: actingContext(services, principal), input: { changes } });
}

// ---------------------------------------------------------------------------------------------
// Inventory

export interface InventoryEntry {
  readAt: Date;
  changedAt: Date | null;
  stock: { kind: "live"; value: TinyStock } | { kind: "stored"; value: StoredStockRow };
  links: StockLink[];
}

export interface InventoryResult {
  accountId: string;
  items: InventoryEntry[];
  /** Stored reads are paged; a live read answers the products asked for. */
  page: { limit: number; offset: number; total: number } | null;
}

/**
 * With product ids: one live Tiny read each (at most 10). Without: what the stock sync last read,
 * with no Tiny call at all — the seller's overview, and the quota stays with the sync.
 * Either way each product carries the ML listings it feeds and what they were last given.
 */
export async function getInventory(
  services: Services,
  principal: Principal,
  query: { accountId?: string | undefined; productIds?: number[] | undefined; limit: number; offset: number },
): Promise<InventoryResult> {
  const account = await resolveAccount(services, principal, query.accountId);
  const linksOf = async (productIds: number[]) => {
    const byProduct = new Map<number, StockLink[]>();
    for (const link of await findStockLinks(services.db, account.id, productIds)) byProduct.set(link.tinyProductId, [...(byProduct.get(link.tinyProductId) ?? []), link]);
    return byProduct;
  };
  if (!query.productIds) {
    const stored = await listStoredStock(services.db, account.id, { limit: query.limit, offset: query.offset });
    const links = await linksOf(stored.items.map((row) => row.tinyProductId));
    return {
      accountId: account.id,
      items: stored.items.map((row) => ({ readAt: row.fetchedAt, changedAt: row.changedAt, stock: { kind: "stored", value: row }, links: links.get(row.tinyProductId) ?? [] })),
      page: { limit: query.limit, offset: query.offset, total: stored.total },
    };
  }
  const client = (await services.tiny()).client.forAccount(account.id);
  const items: TinyStock[] = [];
  for (const id of query.productIds) {
    try {
      items.push(await client.getStock(id));
    } catch (error) {
      if (error instanceof TinyApiError && error.code === "not_found") {
        throw new AppError("not_found", `Tiny has no product ${id} in this account.`, {
          fields: [{ path: "query.productIds", message: `no such product: ${id}`, code: "not_found" }],
        });
      }
      throw error;
    }
  }
  const links = await linksOf(query.productIds);
  const readAt = services.now();
  return {
    accountId: account.id,
    items: items.map((stock) => ({ readAt, changedAt: null, stock: { kind: "live", value: stock }, links: links.get(stock.id) ?? [] })),
    page: null,
  };
}
