/**
 * The ledger's HTTP API, tenant-scoped (the tenant comes from the
 * Authorization header; another tenant's accounts and transfers do not exist):
 *
 *   POST /v1/ledger/accounts                  {accounts: [...]} → 200 {results: [{id, result}]}
 *   GET  /v1/ledger/accounts/{id}             → the account with its balances
 *   GET  /v1/ledger/accounts/{id}/transfers   ?limit&after|before&order=asc|desc → a page of its history
 *   GET  /v1/ledger/accounts/{id}/balances    ?at=<RFC 3339 | epoch ms> → balances then, from the transfers
 *   POST /v1/ledger/transfers                 {transfers: [...]} → 200 {results: [{id, result}]}
 *   GET  /v1/ledger/transfers/{id}            → the transfer (and, if pending, its status)
 *
 * A batch is one transaction; each item gets its own result code
 * (TigerBeetle's, ledger/README.md). Request-level problems are coded 4xx.
 */
import type { Logger } from '../platform/log.ts';
import type { Database } from '../platform/postgres.ts';
import type { TenantResolver } from '../platform/tenant.ts';
import { BodyTooLargeError, readBody, sendJson, trackAbort, type HttpRequest, type HttpResponse, type Reply, type TemplatedApp } from '../platform/uws.ts';
import { apiError } from '../schemas/errors.ts';
import { ACCOUNT_FLAG_NAMES, flagNames, TRANSFER_FLAG_NAMES } from './account-codes.ts';
import { lookupAccounts, submitAccounts, type AccountView } from './accounts.ts';
import { BATCH_LENGTH_MAX, isLedgerId } from './engine.ts';
import { FieldError, ledgerError } from './errors.ts';
import { batchItems, parseAccount, parseTime, parseTransfer } from './http-parse.ts';
import { accountBalancesAt, accountTransfers, HISTORY_PAGE_MAX, lookupTransfers, type TransferRecord } from './queries.ts';
import { submitTransfers } from './transfers.ts';

/** 8,190 transfers of ≈400 bytes of JSON each, with room. */
export const LEDGER_BODY_BYTES_MAX = 4 * 1024 * 1024;

export interface LedgerRouteDeps {
  db: Database;
  resolveTenant: TenantResolver;
  log: Logger;
}

interface RequestContext {
  tenantId: string;
  params: string[];
  query: URLSearchParams;
  body: unknown;
}

type Handler = (ctx: RequestContext) => Promise<Reply>;

/**
 * Wraps a handler: reads what uWS allows only synchronously (parameters,
 * query, Authorization), then resolves the tenant, reads and parses the body,
 * and turns thrown FieldErrors into coded 400s.
 */
export function jsonRoute(deps: LedgerRouteDeps, paramCount: number, withBody: boolean, handler: Handler) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const state = trackAbort(res);
    const params = Array.from({ length: paramCount }, (_, i) => decodeURIComponent(req.getParameter(i) ?? ''));
    const query = new URLSearchParams(req.getQuery() ?? '');
    const tenantResolution = deps.resolveTenant(req.getHeader('authorization'));
    const body = withBody ? readBody(res, LEDGER_BODY_BYTES_MAX) : Promise.resolve(undefined);
    (async (): Promise<Reply> => {
      const [raw, resolved] = await Promise.all([body, tenantResolution]);
      if (!resolved.ok) return { status: resolved.status, body: { error: resolved.error } };
      let parsed: unknown;
      if (raw !== undefined) {
        if (raw.length === 0) return { status: 400, body: apiError('TG_BODY_EMPTY') };
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch {
          return { status: 400, body: apiError('TG_BODY_MALFORMED', 'the body is not valid JSON') };
        }
      }
      return handler({ tenantId: resolved.tenantId, params, query, body: parsed });
    })().then((reply) => sendJson(res, state, reply), (err: unknown) => {
      if (err instanceof FieldError) sendJson(res, state, { status: 400, body: ledgerError('TG_LEDGER_FIELD_INVALID', err.message, err.field) });
      else if (err instanceof BodyTooLargeError) sendJson(res, state, { status: 413, body: apiError('TG_BODY_TOO_LARGE', err.message) });
      else if (err instanceof RangeError) sendJson(res, state, { status: 400, body: ledgerError('TG_LEDGER_BATCH_TOO_LONG', err.message) });
      else {
        deps.log.error({ err }, 'ledger request failed');
        sendJson(res, state, { status: 500, body: apiError('TG_INTERNAL') });
      }
    });
  };
}

export function accountJson(a: AccountView): Record<string, unknown> {
  return {
    id: a.id, ledger: a.ledger, code: a.code, flags: flagNames(a.flags, ACCOUNT_FLAG_NAMES), userData: a.userData,
    debitsPendingMicros: a.debitsPendingMicros, debitsPostedMicros: a.debitsPostedMicros,
    creditsPendingMicros: a.creditsPendingMicros, creditsPostedMicros: a.creditsPostedMicros,
    createdAt: a.createdAt.toISOString(), updatedAt: a.updatedAt.toISOString(),
  };
}

export function transferJson(t: TransferRecord): Record<string, unknown> {
  return {
    id: t.id, debitAccountId: t.debitAccountId, creditAccountId: t.creditAccountId, amountMicros: t.amountMicros,
    pendingId: t.pendingId || null, timeoutSeconds: t.timeoutSeconds, ledger: t.ledger, code: t.code,
    flags: flagNames(t.flags, TRANSFER_FLAG_NAMES), userData: t.userData, createdAt: new Date(t.createdAtMs).toISOString(),
    seq: t.seq, ...(t.status ? { status: t.status, resolvedBy: t.resolvedBy ?? null } : {}),
  };
}

const notFound = (what: string, id: string): Reply => ({ status: 404, body: apiError('TG_NOT_FOUND', `no ${what} ${id}`, 'id') });

function emptyBatch(key: string): Reply {
  return { status: 400, body: ledgerError('TG_LEDGER_BATCH_EMPTY', `the body holds no ${key}`, key) };
}

function positiveQuery(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new FieldError(name, `${name} must be an integer from 1 to ${max}`);
  return Number(raw);
}

function seqQuery(query: URLSearchParams, name: string): bigint | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d{1,19}$/.test(raw)) throw new FieldError(name, `${name} must be a cursor from an earlier page`);
  return BigInt(raw);
}

export function registerLedgerRoutes(app: TemplatedApp, deps: LedgerRouteDeps): void {
  const { db } = deps;

  app.post('/v1/ledger/accounts', jsonRoute(deps, 0, true, async ({ tenantId, body }) => {
    const items = batchItems(body, 'accounts');
    if (items.length === 0) return emptyBatch('accounts');
    const accounts = items.map((item, i) => parseAccount(item, tenantId, `accounts[${i}]`));
    const results = await submitAccounts(db, accounts);
    return { status: 200, body: { results: results.map((result, i) => ({ id: accounts[i]!.id, result })) } };
  }));

  app.get('/v1/ledger/accounts/:id', jsonRoute(deps, 1, false, async ({ tenantId, params: [id] }) => {
    const [account] = isLedgerId(id!.toLowerCase()) ? await lookupAccounts(db, tenantId, [id!.toLowerCase()]) : [];
    return account ? { status: 200, body: accountJson(account) } : notFound('account', id!);
  }));

  app.get('/v1/ledger/accounts/:id/transfers', jsonRoute(deps, 1, false, async ({ tenantId, params: [raw], query }) => {
    const id = raw!.toLowerCase();
    const [account] = isLedgerId(id) ? await lookupAccounts(db, tenantId, [id]) : [];
    if (!account) return notFound('account', raw!);
    const order = query.get('order') ?? 'asc';
    if (order !== 'asc' && order !== 'desc') throw new FieldError('order', 'order must be asc or desc');
    const page = await accountTransfers(db, id, {
      limit: positiveQuery(query, 'limit', 100, HISTORY_PAGE_MAX), reversed: order === 'desc',
      afterSeq: seqQuery(query, 'after'), beforeSeq: seqQuery(query, 'before'),
    });
    return { status: 200, body: { accountId: id, transfers: page.transfers.map(transferJson), nextCursor: page.nextCursor?.toString() ?? null } };
  }));

  app.get('/v1/ledger/accounts/:id/balances', jsonRoute(deps, 1, false, async ({ tenantId, params: [raw], query }) => {
    const id = raw!.toLowerCase();
    const [account] = isLedgerId(id) ? await lookupAccounts(db, tenantId, [id]) : [];
    if (!account) return notFound('account', raw!);
    const atRaw = query.get('at');
    const atMs = atRaw === null || atRaw === '' ? Date.now() : parseTime(/^\d+$/.test(atRaw) ? Number(atRaw) : atRaw, 'at');
    const balances = await accountBalancesAt(db, id, atMs);
    return { status: 200, body: { accountId: id, at: new Date(atMs).toISOString(), ...balances } };
  }));

  app.post('/v1/ledger/transfers', jsonRoute(deps, 0, true, async ({ tenantId, body }) => {
    const items = batchItems(body, 'transfers');
    if (items.length === 0) return emptyBatch('transfers');
    const transfers = items.map((item, i) => parseTransfer(item, tenantId, `transfers[${i}]`));
    const results = await submitTransfers(db, transfers);
    return { status: 200, body: { results: results.map((result, i) => ({ id: transfers[i]!.id, result })) } };
  }));

  app.get('/v1/ledger/transfers/:id', jsonRoute(deps, 1, false, async ({ tenantId, params: [raw] }) => {
    const id = raw!.toLowerCase();
    const [transfer] = isLedgerId(id) ? await lookupTransfers(db, tenantId, [id]) : [];
    return transfer ? { status: 200, body: transferJson(transfer) } : notFound('transfer', raw!);
  }));
}

export { BATCH_LENGTH_MAX };
