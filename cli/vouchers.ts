/**
 * `tollgate vouchers …`: hotspot voucher profiles, batch generation, listing,
 * disabling, CSV export, and one-off runs of the expiry sweep and the message
 * outbox. Large batches show progress: a bar on a terminal, periodic log lines
 * otherwise (CI, pipes). Codes go to the CSV only, never to the terminal log.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { Config } from '../platform/config.ts';
import { createLogger } from '../platform/log.ts';
import { connectPostgres, migratePostgres, type Database } from '../platform/postgres.ts';
import { ensureTenant } from './demo-data.ts';
import {
  createLogTransport, createProfile, deliverVoucherOutbox, disableVoucher, expireDueVouchers, exportVouchersCsv, findVoucherByCode,
  generateVoucherBatch, listProfiles, listVouchers, parseBatchRequest, parseProfileInput, VOUCHER_STATUSES,
  type VoucherErrorInfo, type VoucherFilter, type VoucherResult, type VoucherStatus,
} from '../ledger/vouchers/index.ts';

export const VOUCHERS_HELP = `  tollgate vouchers profile-add --name 1GB-DAILY --currency UGX --price 5000 --validity 1d
                                [--data 1G] [--time 2h] [--rate-limit 2M/2M] [--shared-users 1]
  tollgate vouchers profiles [--archived]
  tollgate vouchers generate --profile 1GB-DAILY --count 500 [--prefix P] [--length N] [--alphabet S]
                             [--request-id ID] [--out batch.csv]
  tollgate vouchers list [--status unused|active|used|expired|disabled] [--batch ID] [--profile P] [--limit N] [--cursor C]
  tollgate vouchers disable <voucher-id> | --code CODE [--reason R]
  tollgate vouchers export [--batch ID] [--status S] [--profile P] [--out vouchers.csv]
  tollgate vouchers expire | deliver
      Hotspot vouchers of --tenant (default TOLLGATE_DEFAULT_TENANT): profiles, batches with
      unguessable codes, printable CSV; expire runs the expiry sweep once, deliver sends queued
      code resends once (log transport).`;

const ACTOR = 'cli';

class VouchersUsageError extends Error {}
class Refused extends Error {
  constructor(readonly info: VoucherErrorInfo) {
    super(`${info.code}: ${info.message}${info.field ? ` (${info.field})` : ''}`);
  }
}

function valueOf<T>(result: VoucherResult<T>): T {
  if (!result.ok) throw new Refused(result.error);
  return result.value;
}

// ---------------------------------------------------------------- flag parsing (pure)

/** A decimal amount in major units ("5000", "2.5") as micro-units, exactly. */
export function parseMajorUnits(text: string): bigint | null {
  const match = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (!match) return null;
  return BigInt(match[1]!) * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}

const BYTE_SUFFIX: Record<string, bigint> = { '': 1n, K: 1024n, M: 1024n ** 2n, G: 1024n ** 3n, T: 1024n ** 4n };

/** "500M", "1G", "1073741824" (binary units, as RouterOS counts), or "unlimited" → null. */
export function parseBytes(text: string): bigint | null | undefined {
  if (text === 'unlimited') return null;
  const match = /^(\d{1,15})([KMGT]?)B?$/i.exec(text.trim());
  return match ? BigInt(match[1]!) * BYTE_SUFFIX[match[2]!.toUpperCase()]! : undefined;
}

const SECOND_SUFFIX: Record<string, bigint> = { s: 1n, m: 60n, h: 3_600n, d: 86_400n, w: 604_800n };

/** "90s", "30m", "2h", "1d", "1w", a plain number of seconds, or "unlimited" → null. */
export function parseDuration(text: string): bigint | null | undefined {
  if (text === 'unlimited') return null;
  const match = /^(\d{1,9})([smhdw]?)$/.exec(text.trim());
  return match ? BigInt(match[1]!) * SECOND_SUFFIX[match[2] || 's']! : undefined;
}

// ---------------------------------------------------------------- progress

export interface ProgressSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Progress {
  update(done: number, total: number): void;
  finish(done: number, total: number): void;
}

/**
 * A bar redrawn in place on a terminal (at most every `redrawMs`), or a plain
 * line at most every `logEveryMs` elsewhere, so logs stay readable.
 */
export function createProgress(sink: ProgressSink, label: string, options: { now?: () => number; redrawMs?: number; logEveryMs?: number; width?: number } = {}): Progress {
  const now = options.now ?? Date.now;
  const width = options.width ?? 30;
  let lastAt = Number.NEGATIVE_INFINITY;
  let lastDrawn = '';
  let finished = false;
  const percent = (done: number, total: number): number => (total === 0 ? 100 : Math.floor((done * 100) / total));
  const draw = (done: number, total: number): void => {
    // The final figures may already be on screen from the last update.
    if (`${done}/${total}` === lastDrawn) return;
    lastDrawn = `${done}/${total}`;
    if (sink.isTTY) {
      const filled = Math.round((percent(done, total) / 100) * width);
      sink.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent(done, total)).padStart(3)}% ${done}/${total}`);
    } else {
      sink.write(`${label}: ${done}/${total} (${percent(done, total)}%)\n`);
    }
  };
  return {
    update(done, total) {
      if (finished) return;
      const at = now();
      if (at - lastAt < (sink.isTTY ? options.redrawMs ?? 100 : options.logEveryMs ?? 2_000)) return;
      lastAt = at;
      draw(done, total);
    },
    finish(done, total) {
      if (finished) return;
      finished = true;
      draw(done, total);
      if (sink.isTTY) sink.write('\n');
    },
  };
}

// ---------------------------------------------------------------- commands

interface Flags {
  [name: string]: string | boolean | undefined;
}

function text(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

function required(flags: Flags, name: string): string {
  const value = text(flags, name);
  if (value === undefined || value === '') throw new VouchersUsageError(`--${name} is required`);
  return value;
}

function filterFrom(flags: Flags): VoucherFilter {
  const filter: VoucherFilter = {};
  const status = text(flags, 'status');
  if (status !== undefined) {
    if (!(VOUCHER_STATUSES as readonly string[]).includes(status)) throw new VouchersUsageError(`--status must be one of ${VOUCHER_STATUSES.join(', ')}`);
    filter.status = status as VoucherStatus;
  }
  const batch = text(flags, 'batch');
  if (batch !== undefined) filter.batchId = batch;
  const profile = text(flags, 'profile');
  if (profile !== undefined) filter.profileName = profile;
  return filter;
}

async function profileAdd(db: Database, tenantId: string, flags: Flags): Promise<void> {
  const price = parseMajorUnits(required(flags, 'price'));
  if (price === null) throw new VouchersUsageError('--price must be a decimal amount such as 5000 or 2.50');
  const data = parseBytes(text(flags, 'data') ?? 'unlimited');
  const time = parseDuration(text(flags, 'time') ?? 'unlimited');
  const validity = parseDuration(required(flags, 'validity'));
  if (data === undefined) throw new VouchersUsageError('--data must be bytes with an optional K, M, G or T suffix, or "unlimited"');
  if (time === undefined || validity === undefined || validity === null) throw new VouchersUsageError('--time and --validity take durations such as 30m, 2h, 1d, 1w');
  const input = valueOf(parseProfileInput({
    name: required(flags, 'name'), currency: required(flags, 'currency'), priceMicros: price.toString(),
    dataQuotaBytes: data?.toString() ?? null, timeQuotaSeconds: time?.toString() ?? null, validitySeconds: validity.toString(),
    rateLimit: text(flags, 'rate-limit') ?? null, sharedUsers: text(flags, 'shared-users') ?? 1,
  }));
  const profile = valueOf(await createProfile(db, tenantId, input));
  console.log(JSON.stringify(profile, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
}

async function writeCsv(db: Database, tenantId: string, filter: VoucherFilter, out: string | undefined): Promise<number> {
  const stream: Writable = out ? createWriteStream(out) : process.stdout;
  const progress = createProgress(process.stderr, out ? `exporting to ${out}` : 'exporting');
  let rows = 0;
  let total = 0;
  for await (const chunk of exportVouchersCsv(db, tenantId, filter, { onProgress: (done, all) => { rows = done; total = all; progress.update(done, all); } })) {
    if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }
  progress.finish(rows, Math.max(rows, total));
  if (out) {
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(() => resolve());
    });
  }
  return rows;
}

async function generate(db: Database, tenantId: string, flags: Flags): Promise<void> {
  const request = valueOf(parseBatchRequest({
    profile: required(flags, 'profile'), count: required(flags, 'count'), prefix: text(flags, 'prefix'),
    codeLength: text(flags, 'length'), alphabet: text(flags, 'alphabet'), requestId: text(flags, 'request-id'),
  }));
  const progress = createProgress(process.stderr, `generating ${request.count} vouchers`);
  const startedMs = performance.now();
  const { batch, created } = valueOf(await generateVoucherBatch(db, { tenantId, actor: ACTOR }, request, { onProgress: (done, total) => progress.update(done, total) }));
  progress.finish(batch.count, batch.count);
  const elapsedMs = Math.round(performance.now() - startedMs);
  console.error(created ? `generated ${batch.count} vouchers of ${batch.profileName} in ${elapsedMs} ms (one transaction)`
    : `request ${batch.requestId} already generated this batch; nothing new`);
  console.log(JSON.stringify({ batchId: batch.id, profile: batch.profileName, count: batch.count, created }));
  const out = text(flags, 'out');
  if (out) console.error(`wrote ${await writeCsv(db, tenantId, { batchId: batch.id }, out)} vouchers to ${out}`);
}

async function list(db: Database, tenantId: string, flags: Flags): Promise<void> {
  const limit = text(flags, 'limit');
  const page = valueOf(await listVouchers(db, tenantId, filterFrom(flags), { cursor: text(flags, 'cursor') ?? null, limit: limit === undefined ? 50 : Number(limit) }));
  const rows = page.vouchers.map((v) => [v.id, String(v.serial), v.codeHint, v.status, v.customerId ?? '-', v.expiresAt?.toISOString() ?? '-']);
  const header = ['id', 'serial', 'code', 'status', 'customer', 'expires_at'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  if (page.nextCursor) console.error(`more: --cursor ${page.nextCursor}`);
}

async function disable(db: Database, tenantId: string, flags: Flags, positionals: string[]): Promise<void> {
  let voucherId = positionals[0];
  const code = text(flags, 'code');
  if (!voucherId && code) voucherId = valueOf(await findVoucherByCode(db, tenantId, code)).id;
  if (!voucherId) throw new VouchersUsageError('vouchers disable needs a voucher id or --code');
  const outcome = valueOf(await disableVoucher(db, { tenantId, actor: ACTOR }, { voucherId, reason: text(flags, 'reason') ?? null }));
  console.log(`${outcome.changed ? 'disabled' : 'already disabled'} ${outcome.voucher.id} (${outcome.voucher.codeHint})${outcome.transferId ? `, liability forfeited by transfer ${outcome.transferId}` : ''}`);
}

const STRING_FLAGS = [
  'tenant', 'name', 'currency', 'price', 'data', 'time', 'validity', 'rate-limit', 'shared-users', 'profile', 'count', 'prefix', 'length',
  'alphabet', 'request-id', 'out', 'status', 'batch', 'limit', 'cursor', 'code', 'reason',
];
const OPTIONS: Record<string, { type: 'string' | 'boolean' }> = {
  ...Object.fromEntries(STRING_FLAGS.map((name) => [name, { type: 'string' as const }])),
  archived: { type: 'boolean' },
};

export async function vouchersCommand(args: string[], config: Config): Promise<void> {
  let flags: Flags;
  let positionals: string[];
  try {
    ({ values: flags, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS }));
  } catch (err) {
    fail(2, `tollgate vouchers: ${err instanceof Error ? err.message : String(err)}\n\n${VOUCHERS_HELP}`);
    return;
  }
  const [action, ...rest] = positionals;
  const tenantId = text(flags, 'tenant') ?? config.defaultTenant;
  const postgres = connectPostgres(config.postgresUrl, 2);
  try {
    await migratePostgres(postgres.db);
    await ensureTenant(postgres.db, tenantId);
    const db = postgres.db;
    switch (action) {
      case 'profile-add': await profileAdd(db, tenantId, flags); break;
      case 'profiles':
        for (const p of await listProfiles(db, tenantId, { includeArchived: flags.archived === true })) {
          console.log(JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
        }
        break;
      case 'generate': await generate(db, tenantId, flags); break;
      case 'list': await list(db, tenantId, flags); break;
      case 'disable': await disable(db, tenantId, flags, rest); break;
      case 'export': console.error(`exported ${await writeCsv(db, tenantId, filterFrom(flags), text(flags, 'out'))} vouchers`); break;
      case 'expire': console.log(JSON.stringify(await expireDueVouchers(db, new Date(), { actor: ACTOR }))); break;
      case 'deliver': {
        const log = createLogger(config.logLevel, 'vouchers');
        console.log(JSON.stringify(await deliverVoucherOutbox(db, createLogTransport(log))));
        break;
      }
      default: throw new VouchersUsageError(`unknown vouchers action "${action ?? ''}"`);
    }
  } catch (err) {
    if (err instanceof VouchersUsageError) fail(2, `tollgate vouchers: ${err.message}\n\n${VOUCHERS_HELP}`);
    else if (err instanceof Refused) fail(1, `tollgate vouchers: ${err.message}`);
    else throw err;
  } finally {
    await postgres.close();
  }
}

function fail(exitCode: number, message: string): void {
  console.error(message);
  process.exitCode = exitCode;
}
