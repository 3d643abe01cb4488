/**
 * `tollgate serve --role ingest|rater|api[,…]`: one service of the
 * distributed stack in this process (docker-compose.yml runs one role per
 * container). The same startSingleNode code paths as `tollgate dev`, with
 * every endpoint taken from the environment (platform/config.ts) and no
 * local infrastructure.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.ts';
import { createLogger } from '../platform/log.ts';
import { NODE_ROLES, startSingleNode, type NodeRole } from '../cli/single-node.ts';

export const SERVE_HELP = `  tollgate serve --role ingest|rater|api|all[,…]
      Run one service of the distributed stack (docker-compose.yml) with the
      configuration from the environment: ingest (POST /v1/events, /v1/stream,
      the live page at /), rater (the Kafka consumer group), api (usage,
      wallets, ledger, vouchers and the ledger's background work). Every role
      serves /healthz, /readyz and /metrics.`;

export class ServeUsageError extends Error {}

export function parseRoles(text: string): Set<NodeRole> {
  const roles = new Set<NodeRole>();
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (item === 'all') NODE_ROLES.forEach((r) => roles.add(r));
    else if ((NODE_ROLES as readonly string[]).includes(item)) roles.add(item as NodeRole);
    else throw new ServeUsageError(`unknown role "${item}"; expected ${[...NODE_ROLES, 'all'].join(', ')}`);
  }
  if (roles.size === 0) throw new ServeUsageError('--role needs at least one role');
  return roles;
}

export async function serveCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { role: { type: 'string' } } });
  if (values.role === undefined) throw new ServeUsageError('--role is required');
  const roles = parseRoles(values.role);
  const config = loadConfig(process.env);
  const log = createLogger(config.logLevel, `tollgate-${[...roles].join('-')}`);
  const node = await startSingleNode(config, log, { roles });
  node.shutdown.installSignalHandlers();
  log.info({ roles: [...roles], url: node.url }, 'serving');
}
