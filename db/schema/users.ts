import { sql } from "drizzle-orm";
import { check, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { lifecycle, primaryId, utc } from "./columns";

export const users = pgTable(
  "users",
  {
    id: primaryId(),
    /** Stored normalised (trimmed, lower-case); the unique index enforces one account per address. */
    email: text("email").notNull(),
    name: text("name"),
    passwordHash: text("password_hash").notNull(),
    passwordChangedAt: utc("password_changed_at").notNull().defaultNow(),
    ...lifecycle,
  },
  (t) => [uniqueIndex("users_email_key").on(t.email), check("users_email_normalised", sql`${t.email} = lower(btrim(${t.email}))`)],
);

export type User = typeof users.$inferSelect;
