/**
 * The Postgres schema (drizzle), one file per owning service under tables/.
 * Migrations under schemas/postgres/migrations are generated from these files
 * by `npm run db:generate` and committed. Money is bigint micro-units everywhere.
 */
export * from './tables/catalog.ts';
export * from './tables/plans.ts';
export * from './tables/discounts.ts';
export * from './tables/rater.ts';
export * from './tables/ledger.ts';
export * from './tables/vouchers.ts';
export * from './tables/ingest.ts';
export * from './tables/invoices.ts';
export * from './tables/routers.ts';
