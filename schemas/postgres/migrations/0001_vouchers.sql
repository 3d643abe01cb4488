CREATE TABLE "voucher_batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"profile_id" uuid NOT NULL,
	"count" integer NOT NULL,
	"prefix" text DEFAULT '' NOT NULL,
	"code_length" integer NOT NULL,
	"alphabet" text NOT NULL,
	"request_id" text,
	"note" text DEFAULT '' NOT NULL,
	"actor" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "voucher_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"voucher_id" uuid NOT NULL,
	"action" text NOT NULL,
	"from_status" text NOT NULL,
	"to_status" text NOT NULL,
	"actor" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "voucher_outbox" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"voucher_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"recipient" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "voucher_profiles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"currency" text NOT NULL,
	"price_micros" bigint NOT NULL,
	"data_quota_bytes" bigint,
	"time_quota_seconds" bigint,
	"validity_seconds" bigint NOT NULL,
	"rate_limit" text,
	"shared_users" integer DEFAULT 1 NOT NULL,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "voucher_profiles_price_non_negative" CHECK ("voucher_profiles"."price_micros" >= 0),
	CONSTRAINT "voucher_profiles_quotas_positive" CHECK (("voucher_profiles"."data_quota_bytes" IS NULL OR "voucher_profiles"."data_quota_bytes" > 0) AND ("voucher_profiles"."time_quota_seconds" IS NULL OR "voucher_profiles"."time_quota_seconds" > 0)),
	CONSTRAINT "voucher_profiles_validity_positive" CHECK ("voucher_profiles"."validity_seconds" > 0),
	CONSTRAINT "voucher_profiles_shared_users_positive" CHECK ("voucher_profiles"."shared_users" >= 1)
);
--> statement-breakpoint
CREATE TABLE "voucher_usage_reports" (
	"voucher_id" uuid NOT NULL,
	"session_id" text NOT NULL,
	"sequence" bigint NOT NULL,
	"bytes_in" bigint NOT NULL,
	"bytes_out" bigint NOT NULL,
	"seconds" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "voucher_usage_reports_non_negative" CHECK ("voucher_usage_reports"."bytes_in" >= 0 AND "voucher_usage_reports"."bytes_out" >= 0 AND "voucher_usage_reports"."seconds" >= 0)
);
--> statement-breakpoint
CREATE TABLE "vouchers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigserial NOT NULL,
	"tenant_id" text NOT NULL,
	"batch_id" uuid NOT NULL,
	"profile_id" uuid NOT NULL,
	"serial" integer NOT NULL,
	"code" text NOT NULL,
	"code_digest" text NOT NULL,
	"status" text DEFAULT 'unused' NOT NULL,
	"currency" text NOT NULL,
	"price_micros" bigint NOT NULL,
	"data_quota_bytes" bigint,
	"time_quota_seconds" bigint,
	"validity_seconds" bigint NOT NULL,
	"rate_limit" text,
	"shared_users" integer NOT NULL,
	"customer_id" uuid,
	"paid_from_account_id" uuid,
	"data_used_bytes" bigint DEFAULT 0 NOT NULL,
	"time_used_seconds" bigint DEFAULT 0 NOT NULL,
	"sold_at" timestamp with time zone,
	"activated_at" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"refunded_at" timestamp with time zone,
	"status_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "vouchers_seq_unique" UNIQUE("seq"),
	CONSTRAINT "vouchers_usage_non_negative" CHECK ("vouchers"."data_used_bytes" >= 0 AND "vouchers"."time_used_seconds" >= 0),
	CONSTRAINT "vouchers_price_non_negative" CHECK ("vouchers"."price_micros" >= 0),
	CONSTRAINT "vouchers_sold_has_customer" CHECK (("vouchers"."sold_at" IS NULL) = ("vouchers"."customer_id" IS NULL))
);
--> statement-breakpoint
ALTER TABLE "voucher_batches" ADD CONSTRAINT "voucher_batches_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voucher_batches" ADD CONSTRAINT "voucher_batches_profile_id_voucher_profiles_id_fk" FOREIGN KEY ("profile_id") REFERENCES "public"."voucher_profiles"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voucher_events" ADD CONSTRAINT "voucher_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voucher_events" ADD CONSTRAINT "voucher_events_voucher_id_vouchers_id_fk" FOREIGN KEY ("voucher_id") REFERENCES "public"."vouchers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voucher_outbox" ADD CONSTRAINT "voucher_outbox_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voucher_outbox" ADD CONSTRAINT "voucher_outbox_voucher_id_vouchers_id_fk" FOREIGN KEY ("voucher_id") REFERENCES "public"."vouchers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voucher_profiles" ADD CONSTRAINT "voucher_profiles_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "voucher_usage_reports" ADD CONSTRAINT "voucher_usage_reports_voucher_id_vouchers_id_fk" FOREIGN KEY ("voucher_id") REFERENCES "public"."vouchers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vouchers" ADD CONSTRAINT "vouchers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vouchers" ADD CONSTRAINT "vouchers_batch_id_voucher_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."voucher_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vouchers" ADD CONSTRAINT "vouchers_profile_id_voucher_profiles_id_fk" FOREIGN KEY ("profile_id") REFERENCES "public"."voucher_profiles"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "vouchers" ADD CONSTRAINT "vouchers_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "voucher_batches_tenant_request" ON "voucher_batches" USING btree ("tenant_id","request_id");--> statement-breakpoint
CREATE INDEX "voucher_events_voucher" ON "voucher_events" USING btree ("voucher_id","id");--> statement-breakpoint
CREATE INDEX "voucher_outbox_due" ON "voucher_outbox" USING btree ("next_attempt_at") WHERE "voucher_outbox"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "voucher_profiles_tenant_name" ON "voucher_profiles" USING btree ("tenant_id","name") WHERE "voucher_profiles"."archived_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "voucher_usage_reports_key" ON "voucher_usage_reports" USING btree ("voucher_id","session_id","sequence");--> statement-breakpoint
CREATE UNIQUE INDEX "vouchers_code_digest" ON "vouchers" USING btree ("code_digest");--> statement-breakpoint
CREATE INDEX "vouchers_tenant_status_seq" ON "vouchers" USING btree ("tenant_id","status","seq");--> statement-breakpoint
CREATE INDEX "vouchers_tenant_seq" ON "vouchers" USING btree ("tenant_id","seq");--> statement-breakpoint
CREATE INDEX "vouchers_batch_serial" ON "vouchers" USING btree ("batch_id","serial");--> statement-breakpoint
CREATE INDEX "vouchers_customer" ON "vouchers" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "vouchers_active_expires_at" ON "vouchers" USING btree ("expires_at") WHERE "vouchers"."status" = 'active';