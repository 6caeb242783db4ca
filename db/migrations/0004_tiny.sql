CREATE TYPE "public"."tiny_account_status" AS ENUM('active', 'reauth_required', 'disconnected');--> statement-breakpoint
CREATE TYPE "public"."tiny_link_source" AS ENUM('sync', 'manual');--> statement-breakpoint
CREATE TABLE "tiny_account_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"type" text NOT NULL,
	"level" text DEFAULT 'info' NOT NULL,
	"message" text NOT NULL,
	"details" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tiny_accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"company_name" text NOT NULL,
	"trade_name" text,
	"cnpj" text NOT NULL,
	"status" "tiny_account_status" DEFAULT 'active' NOT NULL,
	"access_token_enc" text,
	"refresh_token_enc" text,
	"token_key_id" text,
	"access_expires_at" timestamp with time zone,
	"refresh_expires_at" timestamp with time zone,
	"last_refresh_at" timestamp with time zone,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"connected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disconnected_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tiny_accounts_cnpj_digits" CHECK ("tiny_accounts"."cnpj" ~ '^[0-9]{11,14}$'),
	CONSTRAINT "tiny_accounts_tokens_sealed_together" CHECK (("tiny_accounts"."access_token_enc" IS NULL) = ("tiny_accounts"."refresh_token_enc" IS NULL) AND ("tiny_accounts"."access_token_enc" IS NULL) = ("tiny_accounts"."token_key_id" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "tiny_product_links" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"tiny_account_id" uuid NOT NULL,
	"ml_item_id" text NOT NULL,
	"ml_variation_id" bigint,
	"tiny_product_id" bigint NOT NULL,
	"tiny_sku" text,
	"source" "tiny_link_source" NOT NULL,
	"linked_by" uuid,
	"linked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tiny_product_links_listing_key" UNIQUE NULLS NOT DISTINCT("user_id","ml_item_id","ml_variation_id")
);
--> statement-breakpoint
CREATE TABLE "tiny_products" (
	"account_id" uuid NOT NULL,
	"tiny_product_id" bigint NOT NULL,
	"sku" text,
	"name" text NOT NULL,
	"type" text,
	"status" text,
	"unit" text,
	"gtin" text,
	"price" numeric(14, 2),
	"tiny_updated_at" timestamp with time zone,
	"fetched_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tiny_account_events" ADD CONSTRAINT "tiny_account_events_account_id_tiny_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."tiny_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_accounts" ADD CONSTRAINT "tiny_accounts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_product_links" ADD CONSTRAINT "tiny_product_links_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_product_links" ADD CONSTRAINT "tiny_product_links_tiny_account_id_tiny_accounts_id_fk" FOREIGN KEY ("tiny_account_id") REFERENCES "public"."tiny_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_product_links" ADD CONSTRAINT "tiny_product_links_linked_by_users_id_fk" FOREIGN KEY ("linked_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_products" ADD CONSTRAINT "tiny_products_account_id_tiny_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."tiny_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tiny_account_events_account_created_idx" ON "tiny_account_events" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tiny_accounts_user_cnpj_key" ON "tiny_accounts" USING btree ("user_id","cnpj");--> statement-breakpoint
CREATE INDEX "tiny_accounts_status_refresh_idx" ON "tiny_accounts" USING btree ("status","refresh_expires_at");--> statement-breakpoint
CREATE INDEX "tiny_accounts_cnpj_idx" ON "tiny_accounts" USING btree ("cnpj");--> statement-breakpoint
CREATE INDEX "tiny_product_links_account_product_idx" ON "tiny_product_links" USING btree ("tiny_account_id","tiny_product_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tiny_products_account_product_key" ON "tiny_products" USING btree ("account_id","tiny_product_id");--> statement-breakpoint
CREATE INDEX "tiny_products_account_sku_idx" ON "tiny_products" USING btree ("account_id","sku");