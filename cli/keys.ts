/**
 * `tollgate keys create --tenant T --name N [--events-per-second N]` | `list [--tenant T]` | `revoke <id>`.
 * The whole key is printed once, at creation; only its SHA-256 is stored.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../platform/config.ts';
import { connectPostgres, migratePostgres, schema } from '../platform/postgres.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../ingest/index.ts';

export const KEYS_HELP = `  tollgate keys create --tenant T --name N [--events-per-second N]
  tollgate keys list [--tenant T]
  tollgate keys revoke <key-id>
      Manage API keys (Authorization: Bearer tg_<id>_<secret>).`;

export class KeysUsageError extends Error {}

export async function keysCommand(args: string[], config: Config): Promise<void> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { tenant: { type: 'string' }, name: { type: 'string' }, 'events-per-second': { type: 'string' } },
  });
  const [action, id] = positionals;
  const postgres = connectPostgres(config.postgresUrl, 2);
  try {
    await migratePostgres(postgres.db);
    if (action === 'create') {
      if (!values.tenant || !values.name) throw new KeysUsageError('keys create needs --tenant and --name');
      const rate = values['events-per-second'];
      if (rate !== undefined && !/^[1-9]\d{0,8}$/.test(rate)) throw new KeysUsageError('--events-per-second must be a positive integer');
      await postgres.db.insert(schema.tenants).values({ id: values.tenant, name: values.tenant }).onConflictDoNothing();
      const created = await createApiKey(postgres.db, values.tenant, values.name, rate === undefined ? undefined : Number(rate));
      console.log(JSON.stringify({ id: created.id, tenant: created.tenantId, name: created.name, key: created.key }, null, 2));
      console.error('Store the key now: it is not shown again.');
    } else if (action === 'list') {
      for (const key of await listApiKeys(postgres.db, values.tenant)) console.log(JSON.stringify(key));
    } else if (action === 'revoke') {
      if (!id) throw new KeysUsageError('keys revoke needs a key id');
      console.log((await revokeApiKey(postgres.db, id)) ? `revoked ${id}` : `no live key ${id}`);
    } else {
      throw new KeysUsageError(`unknown keys action "${action ?? ''}"`);
    }
  } finally {
    await postgres.close();
  }
}
