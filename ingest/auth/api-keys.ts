/**
 * API keys: `tg_<id>_<secret>`. The id is public (logged, listed); the secret
 * is 32 random bytes shown once at creation and stored only as SHA-256.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';

const KEY_PATTERN = /^tg_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  name: string;
  secretSha256: string;
  eventsPerSecondMax: number | null;
  revokedAt: Date | null;
}

export interface CreatedApiKey {
  id: string;
  tenantId: string;
  name: string;
  /** The whole key; shown once, never stored. */
  key: string;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function randomId(): string {
  const bytes = randomBytes(12);
  let id = '';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

export function parseApiKey(key: string): { id: string; secret: string } | undefined {
  const match = KEY_PATTERN.exec(key);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export function secretMatches(record: Pick<ApiKeyRecord, 'secretSha256'>, secret: string): boolean {
  const expected = Buffer.from(record.secretSha256, 'hex');
  const actual = createHash('sha256').update(secret).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export async function createApiKey(db: Database, tenantId: string, name: string, eventsPerSecondMax?: number): Promise<CreatedApiKey> {
  const id = randomId();
  const secret = randomBytes(32).toString('base64url');
  await db.insert(schema.apiKeys).values({ id, tenantId, name, secretSha256: sha256Hex(secret), eventsPerSecondMax: eventsPerSecondMax ?? null });
  return { id, tenantId, name, key: `tg_${id}_${secret}` };
}

export async function findApiKey(db: Database, id: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await db.select().from(schema.apiKeys).where(eq(schema.apiKeys.id, id));
  return row;
}

/** Returns true when a live key was revoked. */
export async function revokeApiKey(db: Database, id: string): Promise<boolean> {
  const rows = await db.update(schema.apiKeys).set({ revokedAt: new Date() })
    .where(and(eq(schema.apiKeys.id, id), isNull(schema.apiKeys.revokedAt))).returning({ id: schema.apiKeys.id });
  return rows.length > 0;
}

export async function listApiKeys(db: Database, tenantId?: string): Promise<Omit<ApiKeyRecord, 'secretSha256'>[]> {
  const rows = tenantId === undefined
    ? await db.select().from(schema.apiKeys)
    : await db.select().from(schema.apiKeys).where(eq(schema.apiKeys.tenantId, tenantId));
  return rows.map(({ secretSha256: _hidden, ...rest }) => rest);
}
