import { sql } from "drizzle-orm";
import { bigint, check, index, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { lifecycle, primaryId, utc } from "./columns";
import { users } from "./users";

export const mlAccountStatus = pgEnum("ml_account_status", ["active", "reauth_required", "disconnected"]);
export type MlAccountStatus = (typeof mlAccountStatus.enumValues)[number];

/**
 * One connected MercadoLibre seller. Tokens are stored only as AES-256-GCM ciphertext
 * (core/token-cipher.ts) tagged with the key id that sealed them, so keys can rotate
 * without a flag day. ML refresh tokens are single-use: the row is the only copy of the
 * live one, which is why every refresh goes through the row lock in db/queries/ml-accounts.ts.
 */
export const mlAccounts = pgTable(
  "ml_accounts",
  {
    id: primaryId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** ML's numeric user id; unique because one ML seller can belong to only one AutoEcom user. */
    mlUserId: bigint("ml_user_id", { mode: "number" }).notNull(),
    nickname: text("nickname").notNull(),
    siteId: text("site_id").notNull(),
    status: mlAccountStatus("status").notNull().default("active"),
    accessTokenEnc: text("access_token_enc"),
    refreshTokenEnc: text("refresh_token_enc"),
    /** Key id both ciphertexts were sealed under; the rotation command rewrites rows whose kid is not current. */
    tokenKeyId: text("token_key_id"),
    accessExpiresAt: utc("access_expires_at"),
    /** Scopes ML granted, as returned by the token endpoint (space separated). */
    scope: text("scope"),
    lastRefreshAt: utc("last_refresh_at"),
    /** Last successful call to ML with this grant: ML revokes grants unused for 4 months. */
    lastApiCallAt: utc("last_api_call_at"),
    lastSyncAt: utc("last_sync_at"),
    connectedAt: utc("connected_at").notNull().defaultNow(),
    disconnectedAt: utc("disconnected_at"),
    ...lifecycle,
  },
  (t) => [
    uniqueIndex("ml_accounts_ml_user_id_key").on(t.mlUserId),
    index("ml_accounts_user_id_idx").on(t.userId),
    index("ml_accounts_status_expiry_idx").on(t.status, t.accessExpiresAt),
    check("ml_accounts_tokens_sealed_together", sql`(${t.accessTokenEnc} IS NULL) = (${t.refreshTokenEnc} IS NULL) AND (${t.accessTokenEnc} IS NULL) = (${t.tokenKeyId} IS NULL)`),
  ],
);

/** What happened to an account, for the dashboard: connects, refresh failures, reauth needed, keep-alive warnings. */
export const mlAccountEvents = pgTable(
  "ml_account_events",
  {
    id: primaryId(),
    accountId: uuid("account_id")
      .notNull()
      .references(() => mlAccounts.id, { onDelete: "cascade" }),
    /** connected, reconnected, refreshed, refresh_failed, reauth_required, inactivity_warning, keep_alive, disconnected. */
    type: text("type").notNull(),
    level: text("level").notNull().default("info"),
    message: text("message").notNull(),
    details: jsonb("details").$type<Record<string, unknown>>(),
    createdAt: utc("created_at").notNull().defaultNow(),
  },
  (t) => [index("ml_account_events_account_created_idx").on(t.accountId, t.createdAt)],
);

export type MlAccount = typeof mlAccounts.$inferSelect;
export type MlAccountEvent = typeof mlAccountEvents.$inferSelect;
