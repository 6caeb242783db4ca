ALTER TYPE "public"."tiny_order_push_status" ADD VALUE 'cancelled';--> statement-breakpoint
CREATE TABLE "tiny_kit_components" (
	"account_id" uuid NOT NULL,
	"kit_product_id" bigint NOT NULL,
	"component_product_id" bigint NOT NULL,
	"quantity" numeric(14, 3) NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tiny_stock_levels" (
	"account_id" uuid NOT NULL,
	"tiny_product_id" bigint NOT NULL,
	"physical" numeric(14, 3) NOT NULL,
	"reserved" numeric(14, 3) NOT NULL,
	"available" numeric(14, 3) NOT NULL,
	"deposits" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"changed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tiny_buyer_contacts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tiny_account_id" uuid NOT NULL,
	"contact_key" text NOT NULL,
	"tiny_contact_id" bigint,
	"claim_token" uuid,
	"claimed_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ml_listing_variations" ADD COLUMN "gtin" text;--> statement-breakpoint
ALTER TABLE "ml_listings" ADD COLUMN "gtin" text;--> statement-breakpoint
ALTER TABLE "tiny_accounts" ADD COLUMN "forward_orders" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "tiny_accounts" ADD COLUMN "invoice_on_paid" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tiny_accounts" ADD COLUMN "webhook_secret_hash" text;--> statement-breakpoint
ALTER TABLE "tiny_accounts" ADD COLUMN "webhook_secret_created_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tiny_product_links" ADD COLUMN "ml_pushed_quantity" integer;--> statement-breakpoint
ALTER TABLE "tiny_product_links" ADD COLUMN "ml_pushed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tiny_product_links" ADD COLUMN "stock_error" text;--> statement-breakpoint
ALTER TABLE "tiny_product_links" ADD COLUMN "stock_error_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tiny_order_pushes" ADD COLUMN "invoice_situation" integer;--> statement-breakpoint
ALTER TABLE "tiny_order_pushes" ADD COLUMN "invoice_emitted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tiny_order_pushes" ADD COLUMN "invoice_error" text;--> statement-breakpoint
ALTER TABLE "tiny_order_pushes" ADD COLUMN "stock_posted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tiny_order_pushes" ADD COLUMN "tiny_cancelled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tiny_order_pushes" ADD COLUMN "stock_returned_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tiny_order_pushes" ADD COLUMN "receivables_posted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tiny_order_pushes" ADD COLUMN "receivables_reversed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tiny_kit_components" ADD CONSTRAINT "tiny_kit_components_account_id_tiny_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."tiny_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_stock_levels" ADD CONSTRAINT "tiny_stock_levels_account_id_tiny_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."tiny_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_buyer_contacts" ADD CONSTRAINT "tiny_buyer_contacts_tiny_account_id_tiny_accounts_id_fk" FOREIGN KEY ("tiny_account_id") REFERENCES "public"."tiny_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "tiny_kit_components_key" ON "tiny_kit_components" USING btree ("account_id","kit_product_id","component_product_id");--> statement-breakpoint
CREATE INDEX "tiny_kit_components_component_idx" ON "tiny_kit_components" USING btree ("account_id","component_product_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tiny_stock_levels_account_product_key" ON "tiny_stock_levels" USING btree ("account_id","tiny_product_id");--> statement-breakpoint
CREATE INDEX "tiny_stock_levels_account_fetched_idx" ON "tiny_stock_levels" USING btree ("account_id","fetched_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tiny_buyer_contacts_account_key" ON "tiny_buyer_contacts" USING btree ("tiny_account_id","contact_key");--> statement-breakpoint
CREATE UNIQUE INDEX "tiny_accounts_webhook_secret_key" ON "tiny_accounts" USING btree ("webhook_secret_hash");