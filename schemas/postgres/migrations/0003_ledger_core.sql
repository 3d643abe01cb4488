CREATE TABLE "ledger_outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ledger_outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"topic" text NOT NULL,
	"message_key" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_pending_expiries" (
	"transfer_id" uuid PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_promotions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"wallet_account_id" uuid NOT NULL,
	"promo_account_id" uuid NOT NULL,
	"amount_micros" bigint NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"reference" text NOT NULL,
	"expired_at" timestamp with time zone,
	"returned_micros" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_promotions_positive" CHECK ("ledger_promotions"."amount_micros" > 0)
);
--> statement-breakpoint
CREATE TABLE "ledger_transfer_failures" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"result" text NOT NULL,
	"debit_account_id" uuid,
	"credit_account_id" uuid,
	"amount_micros" bigint NOT NULL,
	"pending_id" uuid,
	"timeout_seconds" integer NOT NULL,
	"ledger" text NOT NULL,
	"code" integer NOT NULL,
	"flags" integer NOT NULL,
	"user_data" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_wallets" (
	"wallet_account_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"currency" text NOT NULL,
	"promo_account_id" uuid NOT NULL,
	"low_balance_threshold_micros" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_wallets_threshold_non_negative" CHECK ("ledger_wallets"."low_balance_threshold_micros" >= 0)
);
--> statement-breakpoint
ALTER TABLE "ledger_transfers" DROP CONSTRAINT "ledger_transfers_tenant_id_tenants_id_fk";
--> statement-breakpoint
ALTER TABLE "ledger_transfers" DROP CONSTRAINT "ledger_transfers_debit_account_id_ledger_accounts_id_fk";
--> statement-breakpoint
ALTER TABLE "ledger_transfers" DROP CONSTRAINT "ledger_transfers_credit_account_id_ledger_accounts_id_fk";
--> statement-breakpoint
DROP INDEX "ledger_transfers_debit";--> statement-breakpoint
DROP INDEX "ledger_transfers_credit";--> statement-breakpoint
ALTER TABLE "ledger_accounts" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_transfers" ADD COLUMN "pending_id" uuid;--> statement-breakpoint
ALTER TABLE "ledger_transfers" ADD COLUMN "timeout_seconds" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_transfers" ADD COLUMN "seq" bigint NOT NULL GENERATED ALWAYS AS IDENTITY (sequence name "ledger_transfers_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1);--> statement-breakpoint
ALTER TABLE "ledger_promotions" ADD CONSTRAINT "ledger_promotions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_promotions" ADD CONSTRAINT "ledger_promotions_wallet_account_id_ledger_wallets_wallet_account_id_fk" FOREIGN KEY ("wallet_account_id") REFERENCES "public"."ledger_wallets"("wallet_account_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_wallets" ADD CONSTRAINT "ledger_wallets_wallet_account_id_ledger_accounts_id_fk" FOREIGN KEY ("wallet_account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_wallets" ADD CONSTRAINT "ledger_wallets_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_wallets" ADD CONSTRAINT "ledger_wallets_promo_account_id_ledger_accounts_id_fk" FOREIGN KEY ("promo_account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ledger_pending_expiries_at" ON "ledger_pending_expiries" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "ledger_promotions_open" ON "ledger_promotions" USING btree ("expires_at") WHERE "ledger_promotions"."expired_at" IS NULL;--> statement-breakpoint
CREATE INDEX "ledger_promotions_promo_account" ON "ledger_promotions" USING btree ("promo_account_id","expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_wallets_customer" ON "ledger_wallets" USING btree ("tenant_id","customer_id","currency");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_wallets_promo" ON "ledger_wallets" USING btree ("promo_account_id");--> statement-breakpoint
CREATE INDEX "ledger_transfers_debit_seq" ON "ledger_transfers" USING btree ("debit_account_id","seq");--> statement-breakpoint
CREATE INDEX "ledger_transfers_credit_seq" ON "ledger_transfers" USING btree ("credit_account_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transfers_pending_once" ON "ledger_transfers" USING btree ("pending_id") WHERE "ledger_transfers"."pending_id" IS NOT NULL;