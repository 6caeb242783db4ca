import { index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { primaryId, utc } from "./columns";
import { users } from "./users";

/**
 * A login session is one refresh-token family: every rotation stays in it, and
 * revoking it ends the session at once (access tokens carry its id and are
 * checked against it on every authenticated request).
 */
export const sessions = pgTable(
  "sessions",
  {
    id: primaryId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: utc("created_at").notNull().defaultNow(),
    expiresAt: utc("expires_at").notNull(),
    revokedAt: utc("revoked_at"),
    /** Why it ended: logout, refresh_reuse, password_change, user_deleted. */
    revokedReason: text("revoked_reason"),
    userAgent: text("user_agent"),
  },
  (t) => [index("sessions_user_id_idx").on(t.userId)],
);

/** Only the SHA-256 of a refresh token is stored; the token itself is shown once. */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: primaryId(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    createdAt: utc("created_at").notNull().defaultNow(),
    expiresAt: utc("expires_at").notNull(),
    /** Set when rotated; presenting a token whose usedAt is set is reuse, which revokes the session. */
    usedAt: utc("used_at"),
  },
  (t) => [uniqueIndex("refresh_tokens_token_hash_key").on(t.tokenHash), index("refresh_tokens_session_id_idx").on(t.sessionId)],
);

export type Session = typeof sessions.$inferSelect;
