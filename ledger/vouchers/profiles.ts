/**
 * Voucher profiles per tenant: create, read, list, update, archive. A profile
 * is archived rather than deleted, because its vouchers keep naming it; its
 * name becomes free for a new profile. Edits change future batches only
 * (vouchers copy the terms when generated).
 */
import { and, asc, eq, isNull } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import { ok, refused, type VoucherResult } from './errors.ts';
import type { ProfileChanges, ProfileInput, ProfileTerms } from './inputs.ts';
import type { ProfileRow } from './store.ts';

export interface ProfileView extends ProfileTerms {
  id: string;
  name: string;
  archivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toProfileView(row: ProfileRow): ProfileView {
  return {
    id: row.id, name: row.name, currency: row.currency, priceMicros: row.priceMicros, dataQuotaBytes: row.dataQuotaBytes,
    timeQuotaSeconds: row.timeQuotaSeconds, validitySeconds: row.validitySeconds, rateLimit: row.rateLimit, sharedUsers: row.sharedUsers,
    archivedAt: row.archivedAt, createdAt: row.createdAt, updatedAt: row.updatedAt,
  };
}

const p = schema.voucherProfiles;
const activeProfile = (tenantId: string, name: string) => and(eq(p.tenantId, tenantId), eq(p.name, name), isNull(p.archivedAt));

export async function createProfile(db: Database, tenantId: string, input: ProfileInput): Promise<VoucherResult<ProfileView>> {
  const [row] = await db.insert(p).values({ tenantId, ...input }).onConflictDoNothing().returning();
  if (!row) return refused('TG_VOUCHER_PROFILE_EXISTS', `profile ${input.name} already exists`, 'name');
  return ok(toProfileView(row));
}

export async function getProfile(db: Database, tenantId: string, name: string): Promise<VoucherResult<ProfileView>> {
  const [row] = await db.select().from(p).where(activeProfile(tenantId, name));
  return row ? ok(toProfileView(row)) : refused('TG_VOUCHER_PROFILE_NOT_FOUND', `no active profile ${name}`, 'name');
}

export async function listProfiles(db: Database, tenantId: string, options: { includeArchived?: boolean } = {}): Promise<ProfileView[]> {
  const rows = await db.select().from(p)
    .where(options.includeArchived ? eq(p.tenantId, tenantId) : and(eq(p.tenantId, tenantId), isNull(p.archivedAt)))
    .orderBy(asc(p.name), asc(p.createdAt));
  return rows.map(toProfileView);
}

export async function updateProfile(db: Database, tenantId: string, name: string, changes: ProfileChanges, now = new Date()):
  Promise<VoucherResult<ProfileView>> {
  const [row] = await db.update(p).set({ ...changes, updatedAt: now }).where(activeProfile(tenantId, name)).returning();
  return row ? ok(toProfileView(row)) : refused('TG_VOUCHER_PROFILE_NOT_FOUND', `no active profile ${name}`, 'name');
}

export async function archiveProfile(db: Database, tenantId: string, name: string, now = new Date()): Promise<VoucherResult<ProfileView>> {
  const [row] = await db.update(p).set({ archivedAt: now, updatedAt: now }).where(activeProfile(tenantId, name)).returning();
  return row ? ok(toProfileView(row)) : refused('TG_VOUCHER_PROFILE_NOT_FOUND', `no active profile ${name}`, 'name');
}
