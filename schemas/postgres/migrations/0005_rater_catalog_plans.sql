CREATE TABLE "coupon_redemptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"coupon_id" uuid NOT NULL,
	"discount_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"first_period" text NOT NULL,
	"period_count" integer,
	"redeemed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coupon_redemptions_period_count" CHECK ("coupon_redemptions"."period_count" IS NULL OR "coupon_redemptions"."period_count" >= 1)
);
--> statement-breakpoint
CREATE TABLE "coupons" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"discount_id" uuid NOT NULL,
	"code" text NOT NULL,
	"duration" text NOT NULL,
	"duration_periods" integer,
	"max_redemptions" integer,
	"redemption_count" integer DEFAULT 0 NOT NULL,
	"redeem_by" timestamp with time zone,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coupons_duration_periods" CHECK (("coupons"."duration" = 'repeating') = ("coupons"."duration_periods" IS NOT NULL) AND ("coupons"."duration_periods" IS NULL OR "coupons"."duration_periods" >= 1)),
	CONSTRAINT "coupons_max_redemptions" CHECK ("coupons"."max_redemptions" IS NULL OR "coupons"."max_redemptions" >= 1),
	CONSTRAINT "coupons_redemption_count" CHECK ("coupons"."redemption_count" >= 0 AND ("coupons"."max_redemptions" IS NULL OR "coupons"."redemption_count" <= "coupons"."max_redemptions"))
);
--> statement-breakpoint
CREATE TABLE "discounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"trigger" text NOT NULL,
	"percent_basis_points" integer,
	"amount_micros" bigint,
	"currency" text,
	"customer_type" text,
	"min_subtotal_micros" bigint,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "discounts_kind_fields" CHECK (("discounts"."kind" = 'percentage' AND "discounts"."percent_basis_points" BETWEEN 1 AND 10000 AND "discounts"."amount_micros" IS NULL)
    OR ("discounts"."kind" = 'fixed' AND "discounts"."amount_micros" > 0 AND "discounts"."percent_basis_points" IS NULL AND "discounts"."currency" IS NOT NULL)),
	CONSTRAINT "discounts_threshold_currency" CHECK ("discounts"."min_subtotal_micros" IS NULL OR ("discounts"."min_subtotal_micros" >= 0 AND "discounts"."currency" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "entitlements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"plan_version_id" uuid,
	"customer_id" uuid,
	"meter_id" uuid NOT NULL,
	"limit_quantity" numeric(38, 9) NOT NULL,
	"enforcement" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "entitlements_one_owner" CHECK (("entitlements"."plan_version_id" IS NULL) <> ("entitlements"."customer_id" IS NULL)),
	CONSTRAINT "entitlements_limit_non_negative" CHECK ("entitlements"."limit_quantity" >= 0)
);
--> statement-breakpoint
CREATE TABLE "plan_charges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"plan_version_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"meter_id" uuid,
	"name" text NOT NULL,
	"price" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plan_charges_meter_iff_usage" CHECK (("plan_charges"."kind" = 'usage') = ("plan_charges"."meter_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "plan_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"plan_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"currency" text NOT NULL,
	"billing_period" text DEFAULT 'month' NOT NULL,
	"locked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plan_versions_version_positive" CHECK ("plan_versions"."version" >= 1)
);
--> statement-breakpoint
CREATE TABLE "plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"plan_version_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscriptions_ends_after_start" CHECK ("subscriptions"."ends_at" IS NULL OR "subscriptions"."ends_at" > "subscriptions"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "quota_crossings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"meter_id" uuid NOT NULL,
	"period_start" text NOT NULL,
	"limit_quantity" numeric(38, 9) NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "rater_usage_state" (
	"topic" text NOT NULL,
	"partition" integer NOT NULL,
	"customer_id" uuid NOT NULL,
	"meter_id" uuid NOT NULL,
	"period_start" text NOT NULL,
	"quantity_nanos" numeric(40, 0) NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rater_usage_state_topic_customer_id_meter_id_period_start_pk" PRIMARY KEY("topic","customer_id","meter_id","period_start")
);
--> statement-breakpoint
ALTER TABLE "coupon_redemptions" ADD CONSTRAINT "coupon_redemptions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coupon_redemptions" ADD CONSTRAINT "coupon_redemptions_coupon_id_coupons_id_fk" FOREIGN KEY ("coupon_id") REFERENCES "public"."coupons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coupon_redemptions" ADD CONSTRAINT "coupon_redemptions_discount_id_discounts_id_fk" FOREIGN KEY ("discount_id") REFERENCES "public"."discounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coupon_redemptions" ADD CONSTRAINT "coupon_redemptions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coupons" ADD CONSTRAINT "coupons_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "coupons" ADD CONSTRAINT "coupons_discount_id_discounts_id_fk" FOREIGN KEY ("discount_id") REFERENCES "public"."discounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "discounts" ADD CONSTRAINT "discounts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entitlements" ADD CONSTRAINT "entitlements_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entitlements" ADD CONSTRAINT "entitlements_plan_version_id_plan_versions_id_fk" FOREIGN KEY ("plan_version_id") REFERENCES "public"."plan_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entitlements" ADD CONSTRAINT "entitlements_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "entitlements" ADD CONSTRAINT "entitlements_meter_id_meters_id_fk" FOREIGN KEY ("meter_id") REFERENCES "public"."meters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_charges" ADD CONSTRAINT "plan_charges_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_charges" ADD CONSTRAINT "plan_charges_plan_version_id_plan_versions_id_fk" FOREIGN KEY ("plan_version_id") REFERENCES "public"."plan_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_charges" ADD CONSTRAINT "plan_charges_meter_id_meters_id_fk" FOREIGN KEY ("meter_id") REFERENCES "public"."meters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_versions" ADD CONSTRAINT "plan_versions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_versions" ADD CONSTRAINT "plan_versions_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plans" ADD CONSTRAINT "plans_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_plan_version_id_plan_versions_id_fk" FOREIGN KEY ("plan_version_id") REFERENCES "public"."plan_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "coupon_redemptions_coupon_customer" ON "coupon_redemptions" USING btree ("coupon_id","customer_id");--> statement-breakpoint
CREATE INDEX "coupon_redemptions_customer" ON "coupon_redemptions" USING btree ("customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "coupons_tenant_code" ON "coupons" USING btree ("tenant_id","code");--> statement-breakpoint
CREATE INDEX "discounts_tenant" ON "discounts" USING btree ("tenant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "entitlements_plan_meter" ON "entitlements" USING btree ("plan_version_id","meter_id") WHERE "entitlements"."plan_version_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "entitlements_customer_meter" ON "entitlements" USING btree ("customer_id","meter_id") WHERE "entitlements"."customer_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "plan_charges_version_meter" ON "plan_charges" USING btree ("plan_version_id","meter_id") WHERE "plan_charges"."kind" = 'usage';--> statement-breakpoint
CREATE INDEX "plan_charges_version" ON "plan_charges" USING btree ("plan_version_id");--> statement-breakpoint
CREATE UNIQUE INDEX "plan_versions_plan_version" ON "plan_versions" USING btree ("plan_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "plans_tenant_slug" ON "plans" USING btree ("tenant_id","slug");--> statement-breakpoint
CREATE INDEX "subscriptions_customer" ON "subscriptions" USING btree ("customer_id","starts_at");--> statement-breakpoint
CREATE UNIQUE INDEX "quota_crossings_once" ON "quota_crossings" USING btree ("customer_id","meter_id","period_start","limit_quantity");--> statement-breakpoint
CREATE INDEX "quota_crossings_unpublished" ON "quota_crossings" USING btree ("created_at") WHERE "quota_crossings"."published_at" IS NULL;--> statement-breakpoint
CREATE INDEX "rater_usage_state_partition" ON "rater_usage_state" USING btree ("topic","partition");