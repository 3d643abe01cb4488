/** API keys: scoped to a tenant, stored as a SHA-256 of the secret, revocable. */
import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { tenants } from './catalog.ts';

export const apiKeys = pgTable('api_keys', {
  /** The public part of the key (`tg_<id>_<secret>`), safe to log. */
  id: text('id').primaryKey(),
  tenantId: text('tenant_id').notNull().references(() => tenants.id),
  name: text('name').notNull(),
  /** Hex SHA-256 of the secret part. Secrets are 32 random bytes, so a fast hash is enough. */
  secretSha256: text('secret_sha256').notNull(),
  /** Events per second this key may send; null = the configured default. */
  eventsPerSecondMax: integer('events_per_second_max'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
}, (t) => [index('api_keys_tenant').on(t.tenantId)]);
