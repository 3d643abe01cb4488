CREATE TABLE "radius_sessions" (
	"router_id" uuid NOT NULL,
	"acct_session_id" text NOT NULL,
	"tenant_id" text NOT NULL,
	"user_name" text NOT NULL,
	"voucher_id" uuid,
	"customer_id" uuid,
	"framed_ip" text,
	"calling_station_id" text,
	"reports" bigint NOT NULL,
	"bytes_in" bigint NOT NULL,
	"bytes_out" bigint NOT NULL,
	"seconds" bigint NOT NULL,
	"state" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "router_backups" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"router_id" uuid NOT NULL,
	"export_text" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "router_cutoffs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"cutoff_key" text NOT NULL,
	"tenant_id" text NOT NULL,
	"router_id" uuid NOT NULL,
	"acct_session_id" text NOT NULL,
	"user_name" text NOT NULL,
	"cause" text NOT NULL,
	"method" text NOT NULL,
	"outcome" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "routers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" text NOT NULL,
	"name" text NOT NULL,
	"host" text NOT NULL,
	"api_port" integer DEFAULT 8728 NOT NULL,
	"api_tls" integer DEFAULT 0 NOT NULL,
	"coa_port" integer DEFAULT 3799 NOT NULL,
	"api_user" text NOT NULL,
	"api_password_sealed" text NOT NULL,
	"radius_secret_sealed" text NOT NULL,
	"requests_per_minute_max" integer DEFAULT 100 NOT NULL,
	"status" text DEFAULT 'unknown' NOT NULL,
	"status_detail" text DEFAULT '' NOT NULL,
	"last_seen_at" timestamp with time zone,
	"cpu_load_percent" integer,
	"memory_free_bytes" bigint,
	"memory_total_bytes" bigint,
	"uptime_seconds" bigint,
	"backup_interval_seconds" integer DEFAULT 86400 NOT NULL,
	"last_backup_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "jurisdiction" text;--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "customer_type" text DEFAULT 'standard' NOT NULL;--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "tax_exempt" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "tax_id" text;--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "meters" ADD COLUMN "group_by" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "meters" ADD COLUMN "filters" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "radius_sessions" ADD CONSTRAINT "radius_sessions_router_id_routers_id_fk" FOREIGN KEY ("router_id") REFERENCES "public"."routers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "router_backups" ADD CONSTRAINT "router_backups_router_id_routers_id_fk" FOREIGN KEY ("router_id") REFERENCES "public"."routers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "router_cutoffs" ADD CONSTRAINT "router_cutoffs_router_id_routers_id_fk" FOREIGN KEY ("router_id") REFERENCES "public"."routers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routers" ADD CONSTRAINT "routers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "radius_sessions_key" ON "radius_sessions" USING btree ("router_id","acct_session_id");--> statement-breakpoint
CREATE INDEX "radius_sessions_voucher" ON "radius_sessions" USING btree ("voucher_id") WHERE "radius_sessions"."state" = 'active';--> statement-breakpoint
CREATE INDEX "radius_sessions_customer" ON "radius_sessions" USING btree ("customer_id") WHERE "radius_sessions"."state" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "router_cutoffs_key" ON "router_cutoffs" USING btree ("cutoff_key");--> statement-breakpoint
CREATE UNIQUE INDEX "routers_tenant_name" ON "routers" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "routers_host" ON "routers" USING btree ("host");