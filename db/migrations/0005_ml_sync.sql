CREATE TABLE "ml_listing_changes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"ml_item_id" text NOT NULL,
	"ml_variation_id" bigint,
	"field" text NOT NULL,
	"old_value" text,
	"new_value" text NOT NULL,
	"reason" text NOT NULL,
	"method" text NOT NULL,
	"outcome" text NOT NULL,
	"error" text,
	"requested_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ml_sync_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"mode" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"trigger" text NOT NULL,
	"requested_by" uuid,
	"since" timestamp with time zone,
	"cursor" jsonb,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"percent" integer DEFAULT 0 NOT NULL,
	"api_calls" integer DEFAULT 0 NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"last_error" text,
	"job_id" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ml_listing_changes" ADD CONSTRAINT "ml_listing_changes_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_listing_changes" ADD CONSTRAINT "ml_listing_changes_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_sync_runs" ADD CONSTRAINT "ml_sync_runs_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_sync_runs" ADD CONSTRAINT "ml_sync_runs_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ml_listing_changes_item_idx" ON "ml_listing_changes" USING btree ("ml_item_id","created_at");--> statement-breakpoint
CREATE INDEX "ml_listing_changes_account_idx" ON "ml_listing_changes" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ml_sync_runs_one_live_key" ON "ml_sync_runs" USING btree ("account_id","kind") WHERE "ml_sync_runs"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "ml_sync_runs_account_created_idx" ON "ml_sync_runs" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "ml_listing_variations_sku_idx" ON "ml_listing_variations" USING btree ("seller_sku");--> statement-breakpoint
CREATE INDEX "ml_listings_account_updated_idx" ON "ml_listings" USING btree ("account_id","ml_last_updated","id");--> statement-breakpoint
CREATE INDEX "ml_listings_account_title_idx" ON "ml_listings" USING btree ("account_id","title","id");--> statement-breakpoint
CREATE INDEX "ml_listings_account_price_idx" ON "ml_listings" USING btree ("account_id","price","id");--> statement-breakpoint
CREATE INDEX "ml_orders_account_created_id_idx" ON "ml_orders" USING btree ("account_id","ml_date_created","id");--> statement-breakpoint
CREATE INDEX "ml_orders_account_buyer_idx" ON "ml_orders" USING btree ("account_id","buyer_id");