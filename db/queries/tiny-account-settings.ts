import { and, countDistinct, eq, inArray, isNotNull, ne } from "drizzle-orm";
import type { Database } from "../database";
import { tinyAccounts, tinyProductLinks, type TinyAccountStatus } from "../schema";
import { tinyAccountSummaryColumns, type TinyAccountSummary } from "./tiny";

/**
 * A Tiny account's own settings (order forwarding, invoicing, the webhook URL's secret) and
 * what the Tiny webhook edge and the stock-sync request read. Writes are conditional on the
 * account not being disconnected, so a disconnect racing a settings change always wins.
 */

/**
 * Scoped by owner like findTinyAccountOfUser, but a disconnected account is found too: the
 * settings endpoints tell "reconnect it first" (409) apart from "no such account" (404).
 */
export async function findOwnTinyAccountAnyStatus(db: Database, userId: string, id: string): Promise<TinyAccountSummary | undefined> {
  const [row] = await db
    .select(tinyAccountSummaryColumns)
    .from(tinyAccounts)
    .where(and(eq(tinyAccounts.id, id), eq(tinyAccounts.userId, userId)))
    .limit(1);
  return row;
}

export interface TinyAccountSettings {
  forwardOrders?: boolean | undefined;
  invoiceOnPaid?: boolean | undefined;
}

/** Undefined when the account was disconnected meanwhile. */
export async function updateTinyAccountSettings(db: Database, id: string, settings: TinyAccountSettings, now: Date): Promise<TinyAccountSummary | undefined> {
  const [row] = await db
    .update(tinyAccounts)
    .set({
      ...(settings.forwardOrders === undefined ? {} : { forwardOrders: settings.forwardOrders }),
      ...(settings.invoiceOnPaid === undefined ? {} : { invoiceOnPaid: settings.invoiceOnPaid }),
      updatedAt: now,
    })
    .where(and(eq(tinyAccounts.id, id), ne(tinyAccounts.status, "disconnected")))
    .returning(tinyAccountSummaryColumns);
  return row;
}

/**
 * Replaces the account's webhook secret (by its hash) in one statement: the previous URL stops
 * working the moment the new one exists. False when the account was disconnected meanwhile.
 */
export async function setTinyWebhookSecret(db: Database, id: string, secretHash: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(tinyAccounts)
    .set({ webhookSecretHash: secretHash, webhookSecretCreatedAt: now, updatedAt: now })
    .where(and(eq(tinyAccounts.id, id), ne(tinyAccounts.status, "disconnected")))
    .returning({ id: tinyAccounts.id });
  return rows.length > 0;
}

/** Any status: revoking a credential must always be possible. False when there was none. */
export async function clearTinyWebhookSecret(db: Database, id: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(tinyAccounts)
    .set({ webhookSecretHash: null, webhookSecretCreatedAt: null, updatedAt: now })
    .where(and(eq(tinyAccounts.id, id), isNotNull(tinyAccounts.webhookSecretHash)))
    .returning({ id: tinyAccounts.id });
  return rows.length > 0;
}

export interface TinyWebhookTarget {
  id: string;
  cnpj: string;
  status: TinyAccountStatus;
}

/** The account a webhook URL names, through the unique index on the secret's hash. */
export async function findTinyAccountByWebhookSecretHash(db: Database, secretHash: string): Promise<TinyWebhookTarget | undefined> {
  const [row] = await db.select({ id: tinyAccounts.id, cnpj: tinyAccounts.cnpj, status: tinyAccounts.status }).from(tinyAccounts).where(eq(tinyAccounts.webhookSecretHash, secretHash)).limit(1);
  return row;
}

/** How many distinct Tiny products of the account some ML listing or variation is linked to. */
export async function countLinkedTinyProducts(db: Database, tinyAccountId: string): Promise<number> {
  const [row] = await db
    .select({ n: countDistinct(tinyProductLinks.tinyProductId) })
    .from(tinyProductLinks)
    .where(eq(tinyProductLinks.tinyAccountId, tinyAccountId));
  return row?.n ?? 0;
}

/** Those of `productIds` that at least one link of the account points at. */
export async function findLinkedTinyProductIds(db: Database, tinyAccountId: string, productIds: number[]): Promise<Set<number>> {
  if (productIds.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ id: tinyProductLinks.tinyProductId })
    .from(tinyProductLinks)
    .where(and(eq(tinyProductLinks.tinyAccountId, tinyAccountId), inArray(tinyProductLinks.tinyProductId, productIds)));
  return new Set(rows.map((r) => r.id));
}
