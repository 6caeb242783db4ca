CREATE TYPE "public"."ml_account_status" AS ENUM('active', 'reauth_required', 'disconnected');--> statement-breakpoint
CREATE TYPE "public"."webhook_event_status" AS ENUM('received', 'enqueued', 'processing', 'processed', 'failed', 'skipped');--> statement-breakpoint
CREATE TYPE "public"."tiny_account_status" AS ENUM('active', 'reauth_required', 'disconnected');--> statement-breakpoint
CREATE TYPE "public"."tiny_link_source" AS ENUM('sync', 'manual');--> statement-breakpoint
CREATE TYPE "public"."tiny_order_push_status" AS ENUM('intent', 'sending', 'unknown', 'created', 'failed');--> statement-breakpoint
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
	"connected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disconnected_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ml_accounts_tokens_sealed_together" CHECK (("ml_accounts"."access_token_enc" IS NULL) = ("ml_accounts"."refresh_token_enc" IS NULL) AND ("ml_accounts"."access_token_enc" IS NULL) = ("ml_accounts"."token_key_id" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "ml_claims" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"ml_claim_id" bigint NOT NULL,
	"resource" text,
	"resource_id" bigint,
	"type" text,
	"stage" text,
	"status" text NOT NULL,
	"reason_id" text,
	"players" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"resolution" jsonb,
	"ml_date_created" timestamp with time zone,
	"ml_last_updated" timestamp with time zone NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ml_listing_variations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"listing_id" uuid NOT NULL,
	"ml_variation_id" bigint NOT NULL,
	"price" numeric(14, 2),
	"available_quantity" integer,
	"sold_quantity" integer,
	"seller_sku" text,
	"attribute_combinations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"picture_ids" text[] DEFAULT '{}' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ml_listings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"ml_item_id" text NOT NULL,
	"title" text NOT NULL,
	"price" numeric(14, 2),
	"currency_id" text,
	"available_quantity" integer,
	"sold_quantity" integer,
	"status" text NOT NULL,
	"sub_status" text[] DEFAULT '{}' NOT NULL,
	"permalink" text,
	"thumbnail" text,
	"category_id" text,
	"listing_type_id" text,
	"seller_sku" text,
	"ml_date_created" timestamp with time zone,
	"ml_last_updated" timestamp with time zone NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ml_order_items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"ml_item_id" text NOT NULL,
	"ml_variation_id" bigint,
	"title" text,
	"seller_sku" text,
	"quantity" integer NOT NULL,
	"unit_price" numeric(14, 2),
	"full_unit_price" numeric(14, 2),
	"sale_fee" numeric(14, 2),
	"currency_id" text,
	"listing_type_id" text,
	"variation_attributes" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ml_orders" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"ml_order_id" bigint NOT NULL,
	"pack_id" bigint,
	"status" text NOT NULL,
	"status_detail" text,
	"currency_id" text,
	"total_amount" numeric(14, 2),
	"paid_amount" numeric(14, 2),
	"shipping_cost" numeric(14, 2),
	"buyer_id" bigint,
	"buyer" jsonb,
	"payments" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"shipping_id" bigint,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"cancel_detail" jsonb,
	"missing_fields" text[] DEFAULT '{}' NOT NULL,
	"ml_date_created" timestamp with time zone,
	"ml_date_closed" timestamp with time zone,
	"ml_last_updated" timestamp with time zone NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ml_questions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"ml_question_id" bigint NOT NULL,
	"ml_item_id" text NOT NULL,
	"buyer_id" bigint,
	"status" text NOT NULL,
	"text" text NOT NULL,
	"answer_text" text,
	"answer_status" text,
	"answer_date" timestamp with time zone,
	"ml_date_created" timestamp with time zone,
	"ml_last_updated" timestamp with time zone NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ml_shipments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"ml_shipment_id" bigint NOT NULL,
	"status" text NOT NULL,
	"substatus" text,
	"tracking_number" text,
	"tracking_method" text,
	"logistic_mode" text,
	"logistic_type" text,
	"label_available" boolean DEFAULT false NOT NULL,
	"ml_date_created" timestamp with time zone,
	"ml_last_updated" timestamp with time zone NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "domain_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"account_id" uuid,
	"type" text NOT NULL,
	"subject_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ml_reconcile_cursors" (
	"account_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"cursor" timestamp with time zone NOT NULL,
	"last_run_at" timestamp with time zone NOT NULL,
	"last_found" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ml_reconcile_cursors_account_id_kind_pk" PRIMARY KEY("account_id","kind")
);
--> statement-breakpoint
CREATE TABLE "webhook_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"notification_key" text NOT NULL,
	"ml_notification_id" text,
	"account_id" uuid,
	"user_id" uuid,
	"ml_user_id" bigint NOT NULL,
	"topic" text NOT NULL,
	"resource" text NOT NULL,
	"actions" text[] DEFAULT '{}' NOT NULL,
	"status" "webhook_event_status" DEFAULT 'received' NOT NULL,
	"outcome" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"source" text DEFAULT 'webhook' NOT NULL,
	"trace_id" text,
	"job_id" text,
	"replay_count" smallint DEFAULT 0 NOT NULL,
	"ml_sent_at" timestamp with time zone,
	"ml_received_at" timestamp with time zone,
	"ml_attempts" integer,
	"enqueued_at" timestamp with time zone,
	"processed_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_resource_fetches" (
	"account_id" uuid NOT NULL,
	"resource_key" text NOT NULL,
	"fetch_started_at" timestamp with time zone NOT NULL,
	"last_status" smallint NOT NULL,
	"fetches" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "webhook_resource_fetches_account_id_resource_key_pk" PRIMARY KEY("account_id","resource_key")
);
--> statement-breakpoint
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
	"ml_ecommerce_channel_id" bigint,
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
CREATE TABLE "tiny_product_sync_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"tiny_account_id" uuid NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"trigger" text NOT NULL,
	"requested_by" uuid,
	"cursor" text,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"problems" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"last_error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
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
CREATE TABLE "tiny_order_pushes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"tiny_account_id" uuid NOT NULL,
	"ml_order_id" bigint NOT NULL,
	"status" "tiny_order_push_status" DEFAULT 'intent' NOT NULL,
	"tiny_order_id" bigint,
	"tiny_order_number" text,
	"tiny_contact_id" bigint,
	"markers_added_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"tiny_calls" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"failure_reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"claim_token" uuid,
	"claimed_until" timestamp with time zone,
	"created_in_tiny_at" timestamp with time zone,
	"invoice_id" bigint,
	"invoice_number" text,
	"invoice_key" text,
	"invoice_link" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tiny_order_pushes_created_has_id" CHECK ("tiny_order_pushes"."status" <> 'created' OR "tiny_order_pushes"."tiny_order_id" IS NOT NULL)
);
--> statement-breakpoint
ALTER TABLE "ml_account_events" ADD CONSTRAINT "ml_account_events_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_accounts" ADD CONSTRAINT "ml_accounts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_claims" ADD CONSTRAINT "ml_claims_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_listing_variations" ADD CONSTRAINT "ml_listing_variations_listing_id_ml_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."ml_listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_listings" ADD CONSTRAINT "ml_listings_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_order_items" ADD CONSTRAINT "ml_order_items_order_id_ml_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."ml_orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_orders" ADD CONSTRAINT "ml_orders_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_questions" ADD CONSTRAINT "ml_questions_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_shipments" ADD CONSTRAINT "ml_shipments_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_events" ADD CONSTRAINT "domain_events_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "domain_events" ADD CONSTRAINT "domain_events_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_reconcile_cursors" ADD CONSTRAINT "ml_reconcile_cursors_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_resource_fetches" ADD CONSTRAINT "webhook_resource_fetches_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_account_events" ADD CONSTRAINT "tiny_account_events_account_id_tiny_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."tiny_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_accounts" ADD CONSTRAINT "tiny_accounts_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_product_links" ADD CONSTRAINT "tiny_product_links_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_product_links" ADD CONSTRAINT "tiny_product_links_tiny_account_id_tiny_accounts_id_fk" FOREIGN KEY ("tiny_account_id") REFERENCES "public"."tiny_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_product_links" ADD CONSTRAINT "tiny_product_links_linked_by_users_id_fk" FOREIGN KEY ("linked_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_product_sync_runs" ADD CONSTRAINT "tiny_product_sync_runs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_product_sync_runs" ADD CONSTRAINT "tiny_product_sync_runs_tiny_account_id_tiny_accounts_id_fk" FOREIGN KEY ("tiny_account_id") REFERENCES "public"."tiny_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_product_sync_runs" ADD CONSTRAINT "tiny_product_sync_runs_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_products" ADD CONSTRAINT "tiny_products_account_id_tiny_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."tiny_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_listing_changes" ADD CONSTRAINT "ml_listing_changes_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_listing_changes" ADD CONSTRAINT "ml_listing_changes_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_sync_runs" ADD CONSTRAINT "ml_sync_runs_account_id_ml_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."ml_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ml_sync_runs" ADD CONSTRAINT "ml_sync_runs_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_order_pushes" ADD CONSTRAINT "tiny_order_pushes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tiny_order_pushes" ADD CONSTRAINT "tiny_order_pushes_tiny_account_id_tiny_accounts_id_fk" FOREIGN KEY ("tiny_account_id") REFERENCES "public"."tiny_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ml_account_events_account_created_idx" ON "ml_account_events" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ml_accounts_ml_user_id_key" ON "ml_accounts" USING btree ("ml_user_id");--> statement-breakpoint
CREATE INDEX "ml_accounts_user_id_idx" ON "ml_accounts" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "ml_accounts_status_expiry_idx" ON "ml_accounts" USING btree ("status","access_expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ml_claims_ml_claim_id_key" ON "ml_claims" USING btree ("ml_claim_id");--> statement-breakpoint
CREATE INDEX "ml_claims_account_status_idx" ON "ml_claims" USING btree ("account_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "ml_listing_variations_ml_id_key" ON "ml_listing_variations" USING btree ("ml_variation_id");--> statement-breakpoint
CREATE INDEX "ml_listing_variations_listing_idx" ON "ml_listing_variations" USING btree ("listing_id");--> statement-breakpoint
CREATE INDEX "ml_listing_variations_sku_idx" ON "ml_listing_variations" USING btree ("seller_sku");--> statement-breakpoint
CREATE UNIQUE INDEX "ml_listings_ml_item_id_key" ON "ml_listings" USING btree ("ml_item_id");--> statement-breakpoint
CREATE INDEX "ml_listings_account_idx" ON "ml_listings" USING btree ("account_id","status");--> statement-breakpoint
CREATE INDEX "ml_listings_account_sku_idx" ON "ml_listings" USING btree ("account_id","seller_sku");--> statement-breakpoint
CREATE INDEX "ml_listings_account_updated_idx" ON "ml_listings" USING btree ("account_id","ml_last_updated","id");--> statement-breakpoint
CREATE INDEX "ml_listings_account_title_idx" ON "ml_listings" USING btree ("account_id","title","id");--> statement-breakpoint
CREATE INDEX "ml_listings_account_price_idx" ON "ml_listings" USING btree ("account_id","price","id");--> statement-breakpoint
CREATE UNIQUE INDEX "ml_order_items_order_position_key" ON "ml_order_items" USING btree ("order_id","position");--> statement-breakpoint
CREATE INDEX "ml_order_items_item_idx" ON "ml_order_items" USING btree ("ml_item_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ml_orders_ml_order_id_key" ON "ml_orders" USING btree ("ml_order_id");--> statement-breakpoint
CREATE INDEX "ml_orders_account_created_idx" ON "ml_orders" USING btree ("account_id","ml_date_created");--> statement-breakpoint
CREATE INDEX "ml_orders_account_status_idx" ON "ml_orders" USING btree ("account_id","status");--> statement-breakpoint
CREATE INDEX "ml_orders_pack_idx" ON "ml_orders" USING btree ("pack_id");--> statement-breakpoint
CREATE INDEX "ml_orders_shipping_idx" ON "ml_orders" USING btree ("shipping_id");--> statement-breakpoint
CREATE INDEX "ml_orders_account_created_id_idx" ON "ml_orders" USING btree ("account_id","ml_date_created","id");--> statement-breakpoint
CREATE INDEX "ml_orders_account_buyer_idx" ON "ml_orders" USING btree ("account_id","buyer_id");--> statement-breakpoint
CREATE INDEX "ml_orders_account_status_created_idx" ON "ml_orders" USING btree ("account_id","status","ml_date_created","id");--> statement-breakpoint
CREATE UNIQUE INDEX "ml_questions_ml_question_id_key" ON "ml_questions" USING btree ("ml_question_id");--> statement-breakpoint
CREATE INDEX "ml_questions_account_status_idx" ON "ml_questions" USING btree ("account_id","status","ml_date_created");--> statement-breakpoint
CREATE UNIQUE INDEX "ml_shipments_ml_shipment_id_key" ON "ml_shipments" USING btree ("ml_shipment_id");--> statement-breakpoint
CREATE INDEX "ml_shipments_account_status_idx" ON "ml_shipments" USING btree ("account_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "domain_events_type_subject_key" ON "domain_events" USING btree ("type","subject_id");--> statement-breakpoint
CREATE INDEX "domain_events_user_created_idx" ON "domain_events" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_events_notification_key_key" ON "webhook_events" USING btree ("notification_key");--> statement-breakpoint
CREATE INDEX "webhook_events_user_created_idx" ON "webhook_events" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_events_user_status_idx" ON "webhook_events" USING btree ("user_id","status","created_at");--> statement-breakpoint
CREATE INDEX "webhook_events_account_resource_idx" ON "webhook_events" USING btree ("account_id","resource");--> statement-breakpoint
CREATE INDEX "tiny_account_events_account_created_idx" ON "tiny_account_events" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tiny_accounts_user_cnpj_key" ON "tiny_accounts" USING btree ("user_id","cnpj");--> statement-breakpoint
CREATE INDEX "tiny_accounts_status_refresh_idx" ON "tiny_accounts" USING btree ("status","refresh_expires_at");--> statement-breakpoint
CREATE INDEX "tiny_accounts_cnpj_idx" ON "tiny_accounts" USING btree ("cnpj");--> statement-breakpoint
CREATE INDEX "tiny_product_links_account_product_idx" ON "tiny_product_links" USING btree ("tiny_account_id","tiny_product_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tiny_product_sync_runs_one_live_key" ON "tiny_product_sync_runs" USING btree ("tiny_account_id") WHERE "tiny_product_sync_runs"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "tiny_product_sync_runs_user_created_idx" ON "tiny_product_sync_runs" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tiny_products_account_product_key" ON "tiny_products" USING btree ("account_id","tiny_product_id");--> statement-breakpoint
CREATE INDEX "tiny_products_account_sku_idx" ON "tiny_products" USING btree ("account_id","sku");--> statement-breakpoint
CREATE INDEX "ml_listing_changes_item_idx" ON "ml_listing_changes" USING btree ("ml_item_id","created_at");--> statement-breakpoint
CREATE INDEX "ml_listing_changes_account_idx" ON "ml_listing_changes" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ml_sync_runs_one_live_key" ON "ml_sync_runs" USING btree ("account_id","kind") WHERE "ml_sync_runs"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "ml_sync_runs_account_created_idx" ON "ml_sync_runs" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tiny_order_pushes_order_account_key" ON "tiny_order_pushes" USING btree ("ml_order_id","tiny_account_id");--> statement-breakpoint
CREATE INDEX "tiny_order_pushes_user_status_idx" ON "tiny_order_pushes" USING btree ("user_id","status","updated_at");