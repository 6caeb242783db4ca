import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, jsonb, numeric, pgEnum, pgTable, text, unique, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { lifecycle, primaryId, utc } from "./columns";
import { users } from "./users";

export const tinyAccountStatus = pgEnum("tiny_account_status", ["active", "reauth_required", "disconnected"]);
export type TinyAccountStatus = (typeof tinyAccountStatus.enumValues)[number];

/**
 * One Tiny ERP company connected by a user. Tokens are AES-256-GCM ciphertext under the same
 * key scheme as ml_accounts (core/token-cipher.ts). Tiny refresh tokens live one day and
 * rotate, so this row holds the only live copy: every refresh happens under its row lock
 * (db/queries/tiny.ts `lockTinyAccount`).
 *
 * Unique per (user, CNPJ) rather than per CNPJ: two AutoEcom users may legitimately run the
 * same ERP company. Tiny's quotas belong to the company, so the client keys its budget by CNPJ.
 */
export const tinyAccounts = pgTable(
  "tiny_accounts",
  {
    id: primaryId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    companyName: text("company_name").notNull(),
    tradeName: text("trade_name"),
    /** Digits only: GET /info formats it, webhooks do not. */
    cnpj: text("cnpj").notNull(),
    status: tinyAccountStatus("status").notNull().default("active"),
    accessTokenEnc: text("access_token_enc"),
    refreshTokenEnc: text("refresh_token_enc"),
    tokenKeyId: text("token_key_id"),
    accessExpiresAt: utc("access_expires_at"),
    refreshExpiresAt: utc("refresh_expires_at"),
    lastRefreshAt: utc("last_refresh_at"),
    /** Why the account needs attention (refresh failure, revoked grant); cleared by a successful refresh or reconnect. */
    lastError: text("last_error"),
    lastErrorAt: utc("last_error_at"),
    connectedAt: utc("connected_at").notNull().defaultNow(),
    disconnectedAt: utc("disconnected_at"),
    /**
     * The account's registered "Mercado Livre" e-commerce channel (Tiny panel; the API cannot
     * list channels). Tiny keeps an order's numeroPedidoEcommerce only with a valid channel, and
     * that number is how a pushed order is found again after a timeout or a 409.
     */
    mlEcommerceChannelId: bigint("ml_ecommerce_channel_id", { mode: "number" }),
    /** Paid ML orders of the user are pushed here by the order pipeline (off: only on request). */
    forwardOrders: boolean("forward_orders").notNull().default(true),
    /**
     * Generate and emit the NF-e when a pushed order is paid. Off by default: emitting is a
     * fiscal act that needs the company's digital certificate set up in Tiny first.
     */
    invoiceOnPaid: boolean("invoice_on_paid").notNull().default(false),
    /**
     * SHA-256 of the secret in this account's Tiny webhook URL. Tiny signs nothing, so the URL
     * is the credential; only its hash is kept and the URL is shown once, when (re)generated.
     */
    webhookSecretHash: text("webhook_secret_hash"),
    webhookSecretCreatedAt: utc("webhook_secret_created_at"),
    ...lifecycle,
  },
  (t) => [
    uniqueIndex("tiny_accounts_user_cnpj_key").on(t.userId, t.cnpj),
    uniqueIndex("tiny_accounts_webhook_secret_key").on(t.webhookSecretHash),
    index("tiny_accounts_status_refresh_idx").on(t.status, t.refreshExpiresAt),
    index("tiny_accounts_cnpj_idx").on(t.cnpj),
    check("tiny_accounts_cnpj_digits", sql`${t.cnpj} ~ '^[0-9]{11,14}$'`),
    check("tiny_accounts_tokens_sealed_together", sql`(${t.accessTokenEnc} IS NULL) = (${t.refreshTokenEnc} IS NULL) AND (${t.accessTokenEnc} IS NULL) = (${t.tokenKeyId} IS NULL)`),
  ],
);

/** What happened to a Tiny connection, for the dashboard: connects, refreshes that failed, reauth needed. */
export const tinyAccountEvents = pgTable(
  "tiny_account_events",
  {
    id: primaryId(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => tinyAccounts.id, { onDelete: "cascade" }),
    /** connected, reconnected, refreshed, refresh_failed, reauth_required, disconnected. */
    type: text("type").notNull(),
    level: text("level").notNull().default("info"),
    message: text("message").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>(),
    createdAt: utc("created_at").notNull().defaultNow(),
  },
  (t) => [index("tiny_account_events_account_created_idx").on(t.accountId, t.createdAt)],
);

/**
 * The Tiny catalogue as last read through the API (product list pages, link checks): lets
 * links show SKU and name and be validated without spending the account's read quota.
 * Never authoritative for stock.
 */
export const tinyProducts = pgTable(
  "tiny_products",
  {
    accountId: uuid("account_id")
      .notNull()
      .references(() => tinyAccounts.id, { onDelete: "cascade" }),
    tinyProductId: bigint("tiny_product_id", { mode: "number" }).notNull(),
    sku: text("sku"),
    name: text("name").notNull(),
    /** K kit, S simple, V with variations, F manufactured, M raw material. */
    type: text("type"),
    /** A active, I inactive, E deleted. */
    status: text("status"),
    unit: text("unit"),
    gtin: text("gtin"),
    price: numeric("price", { precision: 14, scale: 2 }),
    tinyUpdatedAt: utc("tiny_updated_at"),
    fetchedAt: utc("fetched_at").notNull(),
  },
  (t) => [uniqueIndex("tiny_products_account_product_key").on(t.accountId, t.tinyProductId), index("tiny_products_account_sku_idx").on(t.accountId, t.sku)],
);

export const tinyLinkSource = pgEnum("tiny_link_source", ["sync", "manual"]);
export type TinyLinkSource = (typeof tinyLinkSource.enumValues)[number];

/**
 * Which Tiny product an ML listing (or one of its variations) is. Listings are referenced by
 * ML's own ids, not by a foreign key, so links survive a listing being re-imported and do not
 * depend on the ML data tables. `ml_variation_id` is NULL for a listing without variations;
 * NULLS NOT DISTINCT keeps that case unique too. A `manual` link is the seller's word: sync
 * never overwrites it.
 */
export const tinyProductLinks = pgTable(
  "tiny_product_links",
  {
    id: primaryId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tinyAccountId: uuid("tiny_account_id")
      .notNull()
      .references(() => tinyAccounts.id, { onDelete: "cascade" }),
    mlItemId: text("ml_item_id").notNull(),
    mlVariationId: bigint("ml_variation_id", { mode: "number" }),
    tinyProductId: bigint("tiny_product_id", { mode: "number" }).notNull(),
    /** The Tiny SKU when the link was made, so a later SKU change in either system is visible. */
    tinySku: text("tiny_sku"),
    source: tinyLinkSource("source").notNull(),
    /** Who linked it: the user for manual links, NULL for sync. */
    linkedBy: uuid("linked_by").references(() => users.id, { onDelete: "set null" }),
    linkedAt: utc("linked_at").notNull().defaultNow(),
    /** The quantity last written to (or found on) the ML listing by the stock sync: what the seller sells. */
    mlPushedQuantity: integer("ml_pushed_quantity"),
    mlPushedAt: utc("ml_pushed_at"),
    /** Why the last stock push of this link failed (listing closed, Full, ML refused); cleared by a success. */
    stockError: text("stock_error"),
    stockErrorAt: utc("stock_error_at"),
    ...lifecycle,
  },
  (t) => [unique("tiny_product_links_listing_key").on(t.userId, t.mlItemId, t.mlVariationId).nullsNotDistinct(), index("tiny_product_links_account_product_idx").on(t.tinyAccountId, t.tinyProductId)],
);

export const tinyProductSyncStatuses = ["queued", "running", "succeeded", "failed"] as const;
export type TinyProductSyncStatus = (typeof tinyProductSyncStatuses)[number];

/** What one product sync did; every counter is per ML listing or variation ("item"). */
export interface TinyProductSyncCounts {
  listings: number;
  items: number;
  created: number;
  updated: number;
  unchanged: number;
  linked: number;
  /** Items whose manual link stands: the sync neither matched nor wrote them. */
  manual: number;
  /** Items reported in `problems` instead of being synced (no SKU, duplicate, ambiguous, Tiny refused). */
  problems: number;
  tinyReads: number;
  tinyWrites: number;
}

/** One item the sync would not decide for the seller; `code` is documented in docs/tiny.md. */
export interface TinyProductSyncProblem {
  mlItemId: string;
  mlVariationId: number | null;
  sku: string | null;
  code: "missing_sku" | "duplicate_sku" | "ambiguous_tiny_sku" | "linked_elsewhere" | "tiny_rejected" | "failed";
  message: string;
}

/**
 * One ML → Tiny product sync of a user's listings into one Tiny account. The row, not the job
 * payload, carries the cursor (the last ML item finished), so a retried or redelivered job
 * resumes where the previous execution stopped; the SKU lookup before every write is what
 * makes re-doing the item in flight harmless.
 */
export const tinyProductSyncRuns = pgTable(
  "tiny_product_sync_runs",
  {
    id: primaryId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tinyAccountId: uuid("tiny_account_id")
      .notNull()
      .references(() => tinyAccounts.id, { onDelete: "cascade" }),
    status: text("status", { enum: tinyProductSyncStatuses }).notNull().default("queued"),
    /** api, schedule. */
    trigger: text("trigger").notNull(),
    requestedBy: uuid("requested_by").references(() => users.id, { onDelete: "set null" }),
    /** ml_item_id of the last listing fully handled; NULL before the first. */
    cursor: text("cursor"),
    counts: jsonb("counts").$type<Partial<TinyProductSyncCounts>>().notNull().default({}),
    /** Capped (the count of all of them is counts.problems). */
    problems: jsonb("problems").$type<TinyProductSyncProblem[]>().notNull().default([]),
    lastError: text("last_error"),
    attempts: integer("attempts").notNull().default(0),
    startedAt: utc("started_at"),
    heartbeatAt: utc("heartbeat_at").notNull().defaultNow(),
    finishedAt: utc("finished_at"),
    ...lifecycle,
  },
  (t) => [
    // One live run per Tiny account: two runs would race to create the same SKUs.
    uniqueIndex("tiny_product_sync_runs_one_live_key")
      .on(t.tinyAccountId)
      .where(sql`${t.status} in ('queued', 'running')`),
    index("tiny_product_sync_runs_user_created_idx").on(t.userId, t.createdAt),
  ],
);

export type TinyProductSyncRun = typeof tinyProductSyncRuns.$inferSelect;

/** One deposit's line of GET /estoque/{id}, as stored with the level. */
export interface TinyDepositStock {
  id: number;
  name: string | null;
  physical: number;
  reserved: number;
  available: number;
  /** Whether the deposit counts towards the company's sellable total (desconsiderar = false). */
  counted: boolean;
}

/**
 * Tiny stock as last read with GET /estoque/{id} — never from a webhook body, which may be stale
 * or out of order. `available` is what the stock sync sells on ML. `changed_at` moves only when
 * `available` changes, so propagation latency is measured from it.
 */
export const tinyStockLevels = pgTable(
  "tiny_stock_levels",
  {
    accountId: uuid("account_id")
      .notNull()
      .references(() => tinyAccounts.id, { onDelete: "cascade" }),
    tinyProductId: bigint("tiny_product_id", { mode: "number" }).notNull(),
    physical: numeric("physical", { precision: 14, scale: 3 }).notNull(),
    reserved: numeric("reserved", { precision: 14, scale: 3 }).notNull(),
    available: numeric("available", { precision: 14, scale: 3 }).notNull(),
    deposits: jsonb("deposits").$type<TinyDepositStock[]>().notNull().default([]),
    fetchedAt: utc("fetched_at").notNull(),
    changedAt: utc("changed_at").notNull(),
  },
  (t) => [
    uniqueIndex("tiny_stock_levels_account_product_key").on(t.accountId, t.tinyProductId),
    // The polling safety net reads the least recently checked first.
    index("tiny_stock_levels_account_fetched_idx").on(t.accountId, t.fetchedAt),
  ],
);

/**
 * A kit's composition (GET /produtos/{id}/kit). A stock change of a component reaches the ML
 * listings of every kit that contains it: Tiny computes a kit's sellable stock from its parts,
 * and sends webhooks only for the parts.
 */
export const tinyKitComponents = pgTable(
  "tiny_kit_components",
  {
    accountId: uuid("account_id")
      .notNull()
      .references(() => tinyAccounts.id, { onDelete: "cascade" }),
    kitProductId: bigint("kit_product_id", { mode: "number" }).notNull(),
    componentProductId: bigint("component_product_id", { mode: "number" }).notNull(),
    quantity: numeric("quantity", { precision: 14, scale: 3 }).notNull(),
    fetchedAt: utc("fetched_at").notNull(),
  },
  (t) => [uniqueIndex("tiny_kit_components_key").on(t.accountId, t.kitProductId, t.componentProductId), index("tiny_kit_components_component_idx").on(t.accountId, t.componentProductId)],
);

export type TinyStockLevel = typeof tinyStockLevels.$inferSelect;
export type TinyKitComponent = typeof tinyKitComponents.$inferSelect;

export type TinyAccount = typeof tinyAccounts.$inferSelect;
export type TinyAccountEvent = typeof tinyAccountEvents.$inferSelect;
export type TinyProduct = typeof tinyProducts.$inferSelect;
export type TinyProductLink = typeof tinyProductLinks.$inferSelect;
