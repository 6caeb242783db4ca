import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { lifecycle, primaryId, utc } from "./columns";
import { tinyAccounts } from "./tiny";
import { users } from "./users";

/**
 * intent: recorded, Tiny not called yet (or only reads). sending: POST /pedidos is (or was,
 * if the claim expired) in flight. unknown: the create had an ambiguous outcome (timeout,
 * network error, 5xx, 409) and no order was found by its e-commerce number yet — the next
 * attempt must look it up before creating. created: Tiny has the order (markers may still be
 * pending). failed: a definitive refusal (unlinked item, validation) that only a change on our
 * side fixes; nothing was created in Tiny. cancelled: the ML order was cancelled before Tiny had
 * it, so it never will (a cancellation after creation keeps `created` and sets tiny_cancelled_at).
 */
export const tinyOrderPushStatus = pgEnum("tiny_order_push_status", ["intent", "sending", "unknown", "created", "failed", "cancelled"]);
export type TinyOrderPushStatus = (typeof tinyOrderPushStatus.enumValues)[number];

export interface TinyOrderPushReason {
  code: string;
  message: string;
  mlItemId?: string;
  mlVariationId?: number | null;
}

/**
 * One ML order pushed to one Tiny account. The unique key is what makes "one Tiny order per
 * ML order" a database fact rather than a hope: every push first inserts (or finds) this row,
 * and only the holder of its claim may call Tiny's create. The claim is a lease rather than a
 * row lock held across HTTP calls, so a crashed pusher blocks the order for minutes, not forever.
 */
export const tinyOrderPushes = pgTable(
  "tiny_order_pushes",
  {
    id: primaryId(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tinyAccountId: uuid("tiny_account_id")
      .notNull()
      .references(() => tinyAccounts.id, { onDelete: "cascade" }),
    mlOrderId: bigint("ml_order_id", { mode: "number" }).notNull(),
    status: tinyOrderPushStatus("status").notNull().default("intent"),
    tinyOrderId: bigint("tiny_order_id", { mode: "number" }),
    /** Tiny's own sequential number (a string in the create answer, an int in reads). */
    tinyOrderNumber: text("tiny_order_number"),
    tinyContactId: bigint("tiny_contact_id", { mode: "number" }),
    markersAddedAt: utc("markers_added_at"),
    attempts: integer("attempts").notNull().default(0),
    /** Tiny calls spent on this order over all attempts (throughput against the quota). */
    tinyCalls: integer("tiny_calls").notNull().default(0),
    lastError: text("last_error"),
    lastErrorAt: utc("last_error_at"),
    /** Every reason the last attempt failed (e.g. each unlinked item), for the seller to fix. */
    failureReasons: jsonb("failure_reasons").$type<TinyOrderPushReason[]>().notNull().default([]),
    claimToken: uuid("claim_token"),
    claimedUntil: utc("claimed_until"),
    createdInTinyAt: utc("created_in_tiny_at"),
    invoiceId: bigint("invoice_id", { mode: "number" }),
    invoiceNumber: text("invoice_number"),
    invoiceKey: text("invoice_key"),
    invoiceLink: text("invoice_link"),
    /** Tiny's nota situacao after emitting (6 autorizada, 5 rejeitada, …). */
    invoiceSituation: integer("invoice_situation"),
    invoiceEmittedAt: utc("invoice_emitted_at"),
    /** Why generating or emitting the invoice failed; the order itself stays created. */
    invoiceError: text("invoice_error"),
    /** The sale's stock posting in Tiny (lancar-estoque): the one place an ML sale lowers Tiny stock. */
    stockPostedAt: utc("stock_posted_at"),
    /** The Tiny order was set to cancelled after the ML order was. */
    tinyCancelledAt: utc("tiny_cancelled_at"),
    /** The sale's stock went back (estornar-estoque) — once, because this is set in the same step. */
    stockReturnedAt: utc("stock_returned_at"),
    /** Receivables posted in Tiny's finance for the order (lancar-contas). */
    receivablesPostedAt: utc("receivables_posted_at"),
    /** The receivables were reversed (estornar-contas) after the ML order was cancelled. */
    receivablesReversedAt: utc("receivables_reversed_at"),
    ...lifecycle,
  },
  (t) => [
    uniqueIndex("tiny_order_pushes_order_account_key").on(t.mlOrderId, t.tinyAccountId),
    index("tiny_order_pushes_user_status_idx").on(t.userId, t.status, t.updatedAt),
    check("tiny_order_pushes_created_has_id", sql`${t.status} <> 'created' OR ${t.tinyOrderId} IS NOT NULL`),
  ],
);

export type TinyOrderPush = typeof tinyOrderPushes.$inferSelect;

/**
 * The Tiny contact of one ML buyer in one Tiny account, keyed by the buyer's document ("doc:<digits>")
 * or, without one, our contact code ("code:ML-<buyer id>"). Two orders of a new buyer pushed at
 * once must not create two contacts, and Tiny has no uniqueness of its own: the first push claims
 * the row (a lease, like the order push) and creates; the others wait for its id. The id is then
 * reused, sparing repeat buyers the lookup.
 */
export const tinyBuyerContacts = pgTable(
  "tiny_buyer_contacts",
  {
    id: primaryId(),
    tinyAccountId: uuid("tiny_account_id")
      .notNull()
      .references(() => tinyAccounts.id, { onDelete: "cascade" }),
    contactKey: text("contact_key").notNull(),
    tinyContactId: bigint("tiny_contact_id", { mode: "number" }),
    claimToken: uuid("claim_token"),
    claimedUntil: utc("claimed_until"),
    ...lifecycle,
  },
  (t) => [uniqueIndex("tiny_buyer_contacts_account_key").on(t.tinyAccountId, t.contactKey)],
);

export type TinyBuyerContact = typeof tinyBuyerContacts.$inferSelect;
