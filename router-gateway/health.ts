/**
 * Router health and backups over the RouterOS API: test-connection,
 * `/system/resource/print` every 30 s per router (status, last seen, CPU,
 * memory, uptime → registry + `tollgate_router_up`), and `/export` into
 * `router_backups` when a router's backup interval has passed. Every call
 * goes through the per-router rate limit.
 */
import { eq } from 'drizzle-orm';
import type { Logger } from '../platform/log.ts';
import { schema, type Database } from '../platform/postgres.ts';
import { gatewayMetrics as m } from './metrics.ts';
import type { RouterRateLimiter } from './rate-limiter.ts';
import type { RouterRegistry, RouterWithSecrets } from './registry.ts';
import { RouterOsClient, type RouterOsItem } from './routeros/client.ts';

export interface RouterResources {
  cpuLoadPercent: number;
  memoryFreeBytes: bigint;
  memoryTotalBytes: bigint;
  uptimeSeconds: bigint;
  version: string;
}

/** RouterOS uptime text, e.g. `1w2d3h4m5s`. */
export function parseUptime(text: string): bigint {
  const units: Record<string, bigint> = { w: 604_800n, d: 86_400n, h: 3600n, m: 60n, s: 1n };
  let total = 0n;
  for (const [, n, unit] of text.matchAll(/(\d+)([wdhms])/g)) total += BigInt(n!) * units[unit!]!;
  return total;
}

export function resourcesOf(item: RouterOsItem): RouterResources {
  return {
    cpuLoadPercent: Number(item['cpu-load'] ?? 0),
    memoryFreeBytes: BigInt(item['free-memory'] ?? '0'),
    memoryTotalBytes: BigInt(item['total-memory'] ?? '0'),
    uptimeSeconds: parseUptime(item.uptime ?? ''),
    version: item.version ?? '',
  };
}

export class RouterApi {
  constructor(private readonly rateLimiter: RouterRateLimiter, private readonly timeoutMs = 3000) {}

  /** Runs commands on one connection, within the router's rate limit (one token per command). */
  async run<T>(router: RouterWithSecrets, commands: string[][], pick: (results: RouterOsItem[][]) => T): Promise<T> {
    for (let i = 0; i < commands.length; i++) {
      if (!this.rateLimiter.tryTake(router.view.id, router.view.requestsPerMinuteMax)) {
        m.apiCalls.inc({ router: router.view.name, outcome: 'rate_limited' });
        throw new RateLimitedError();
      }
    }
    const client = await RouterOsClient.connect({ host: router.view.host, port: router.view.apiPort, tls: router.view.apiTls,
      user: router.view.apiUser, password: router.apiPassword, timeoutMs: this.timeoutMs });
    try {
      const results: RouterOsItem[][] = [];
      for (const command of commands) results.push(await client.run(command));
      m.apiCalls.inc({ router: router.view.name, outcome: 'ok' });
      return pick(results);
    } catch (err) {
      m.apiCalls.inc({ router: router.view.name, outcome: 'error' });
      throw err;
    } finally {
      client.close();
    }
  }

  resources(router: RouterWithSecrets): Promise<RouterResources> {
    return this.run(router, [['/system/resource/print']], ([items]) => resourcesOf(items?.[0] ?? {}));
  }

  exportConfig(router: RouterWithSecrets): Promise<string> {
    return this.run(router, [['/export']], ([items]) => items?.map((i) => i.ret ?? '').join('') ?? '');
  }

  /** Voucher provisioning mode: the code becomes a local hotspot user on the router. */
  addHotspotUser(router: RouterWithSecrets, user: { name: string; password: string; profile?: string; limitBytesTotal?: bigint }): Promise<void> {
    const words = ['/ip/hotspot/user/add', `=name=${user.name}`, `=password=${user.password}`];
    if (user.profile) words.push(`=profile=${user.profile}`);
    if (user.limitBytesTotal !== undefined) words.push(`=limit-bytes-total=${user.limitBytesTotal}`);
    return this.run(router, [words], () => undefined);
  }

  removeHotspotUser(router: RouterWithSecrets, name: string): Promise<void> {
    return this.run(router, [['/ip/hotspot/user/remove', `=.id=${name}`]], () => undefined);
  }

  activeSessions(router: RouterWithSecrets): Promise<RouterOsItem[]> {
    return this.run(router, [['/ip/hotspot/active/print']], ([items]) => items ?? []);
  }
}

export class RateLimitedError extends Error {
  constructor() { super('RouterOS API rate limit reached for this router'); }
}

export async function checkRouter(registry: RouterRegistry, api: RouterApi, router: RouterWithSecrets): Promise<{ up: boolean; resources?: RouterResources; error?: string }> {
  try {
    const resources = await api.resources(router);
    await registry.recordHealth(router.view.id, { status: 'online', detail: resources.version, seenAt: new Date(), ...resources });
    m.routerUp.set({ router: router.view.name }, 1);
    return { up: true, resources };
  } catch (err) {
    if (err instanceof RateLimitedError) return { up: router.view.status === 'online', error: err.message };
    const message = err instanceof Error ? err.message : String(err);
    await registry.recordHealth(router.view.id, { status: /login/.test(message) ? 'error' : 'offline', detail: message });
    m.routerUp.set({ router: router.view.name }, 0);
    return { up: false, error: message };
  }
}

export async function backupIfDue(db: Database, api: RouterApi, router: RouterWithSecrets, now: Date): Promise<boolean> {
  const last = router.view.lastBackupAt ? Date.parse(router.view.lastBackupAt) : 0;
  if (now.getTime() - last < router.view.backupIntervalSeconds * 1000) return false;
  const exportText = await api.exportConfig(router);
  await db.insert(schema.routerBackups).values({ routerId: router.view.id, exportText, createdAt: now });
  await db.update(schema.routers).set({ lastBackupAt: now }).where(eq(schema.routers.id, router.view.id));
  return true;
}

/** One round over every router: health, then a backup where due. Errors are recorded per router, never thrown. */
export async function monitorRound(db: Database, registry: RouterRegistry, api: RouterApi, log: Logger): Promise<void> {
  const routers = await registry.all();
  await Promise.all(routers.map(async (router) => {
    const health = await checkRouter(registry, api, router);
    if (!health.up) return;
    try {
      await backupIfDue(db, api, router, new Date());
    } catch (err) {
      log.warn({ router: router.view.name, err: err instanceof Error ? err.message : String(err) }, 'router backup failed');
    }
  }));
}
