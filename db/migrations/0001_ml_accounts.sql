CREATE TYPE "public"."ml_account_status" AS ENUM('active', 'reauth_required', 'disconnected');--> statement-breakpoint
CREATE TABLE "ml_account_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"type" text NOT NULL,
	"level" text DEFAULT 'info' NOT NULL,
	"message" text NOT NULL,
	"details" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ml_accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"ml_user_id" bigint NOT NULL,
	"nickname" text NOT NULL,
	"site_id" text NOT NULL,
	"status" "ml_account_status" DEFAULT 'active' NOT NULL,
	"access_token_enc" text,
	"refresh_token_enc" text,
	"token_key_id" text,
	"access_expires_at" timestamp with time zone,
	"scope" text,
	"last_refresh_at" timestamp with time zone,
	"last_api_call_at" timestamp with time zone,
	"last_sync_at" timestamp with time zone,
	"refresh_started_at" timestamp with time zone,
	"connected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disconnected_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ml_accounts_tokens_sealed_together" CHECK (("ml_accounts"."access_token_enc" IS NULL) = ("ml_accounts"."refresh_token_enc" IS NULL) AND ("ml_accounts"."access_token_enc" IS NULL) = ("ml_accounts"."token_key_id" IS NULL))
);
--> statement-breakpoint
ALTER TABLE "ml_account_events" ADD CONSTRAINT "ml_account_events_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_accounts" ADD CONSTRAINT "ml_accounts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ml_account_events_account_created_idx" ON "ml_account_events" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ml_accounts_ml_user_id_key" ON "ml_accounts" USING btree ("ml_user_id");--> statement-breakpoint
CREATE INDEX "ml_accounts_user_id_idx" ON "ml_accounts" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "ml_accounts_status_expiry_idx" ON "ml_accounts" USING btree ("status","access_expires_at");