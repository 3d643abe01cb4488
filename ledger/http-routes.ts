/**
 * Wallet routes, tenant-scoped, by customer subject:
 *
 *   GET  /v1/wallets/{subject}                        balance (paid + promotional, held, receivable) and recent transfers
 *   POST /v1/wallets/{subject}/top-ups                {amountMicros, reference}: 201 ok, 200 exists (the same reference tops up once)
 *   POST /v1/wallets/{subject}/refunds                {amountMicros, reference}: pays prepaid money back (wallet → clearing)
 *   POST /v1/wallets/{subject}/usage-credits          {amountMicros, reference}: gives charged usage back as credit
 *   POST /v1/wallets/{subject}/promotions             {amountMicros, reference, expiresAt}: promotional credit until expiresAt
 *   PUT  /v1/wallets/{subject}/low-balance-threshold  {thresholdMicros}: `wallet.low_balance` below it (0 = off)
 *
 * A money movement answers 201 (ok) or 200 (exists: a retry) with `result`,
 * or 409 TG_LEDGER_REFUSED with the ledger's `result` (e.g. exceeds_credits).
 */
import type { Logger } from '../platform/log.ts';
import type { Database } from '../platform/postgres.ts';
import type { TenantResolver } from '../platform/tenant.ts';
import type { Reply, TemplatedApp } from '../platform/uws.ts';
import { customerBySubject } from '../rater/index.ts';
import { apiError } from '../schemas/errors.ts';
import type { TransferResult } from './engine.ts';
import { FieldError, ledgerError } from './errors.ts';
import { parseAmount, parseMovement, parseTime } from './http-parse.ts';
import { jsonRoute } from './ledger-routes.ts';
import {
  creditUsage, grantPromotionalCredit, refundWallet, setLowBalanceThreshold, topUpWallet, walletBalance, walletTransfers,
  type WalletKey,
} from './wallets.ts';

export interface WalletRouteDeps {
  db: Database;
  resolveTenant: TenantResolver;
  log: Logger;
}

function movementReply(result: TransferResult, echo: Record<string, unknown>): Reply {
  if (result === 'ok') return { status: 201, body: { result, ...echo } };
  if (result === 'exists') return { status: 200, body: { result, ...echo } };
  return { status: 409, body: { ...ledgerError('TG_LEDGER_REFUSED', `the ledger refused it: ${result}`), result, ...echo } };
}

export function registerWalletRoutes(app: TemplatedApp, deps: WalletRouteDeps): void {
  const { db } = deps;
  /** The wallet of the tenant's customer `subject`, or a 404 reply. */
  const walletOf = async (tenantId: string, subject: string): Promise<WalletKey | Reply> => {
    const customer = await customerBySubject(db, tenantId, subject);
    if (!customer) return { status: 404, body: apiError('TG_NOT_FOUND', `no customer with subject ${subject}`, 'subject') };
    return { tenantId, customerId: customer.id, currency: customer.currency };
  };
  const isReply = (value: WalletKey | Reply): value is Reply => 'status' in value;

  app.get('/v1/wallets/:subject', jsonRoute(deps, 1, false, async ({ tenantId, params: [subject] }) => {
    const key = await walletOf(tenantId, subject!);
    if (isReply(key)) return key;
    const balance = await walletBalance(db, tenantId, key.customerId, key.currency);
    const transfers = await walletTransfers(db, tenantId, key.customerId, key.currency, 20);
    return { status: 200, body: { subject, customerId: key.customerId, ...balance, transfers } };
  }));

  const movement = (path: string, move: (db: Database, m: WalletKey & { amountMicros: bigint; reference: string }) => Promise<TransferResult>): void => {
    app.post(`/v1/wallets/:subject/${path}`, jsonRoute(deps, 1, true, async ({ tenantId, params: [subject], body }) => {
      const { amountMicros, reference } = parseMovement(body);
      const key = await walletOf(tenantId, subject!);
      if (isReply(key)) return key;
      const result = await move(db, { ...key, amountMicros, reference });
      return movementReply(result, { subject, amountMicros: amountMicros.toString(), reference });
    }));
  };
  movement('top-ups', topUpWallet);
  movement('refunds', refundWallet);
  movement('usage-credits', creditUsage);

  app.post('/v1/wallets/:subject/promotions', jsonRoute(deps, 1, true, async ({ tenantId, params: [subject], body }) => {
    const { amountMicros, reference } = parseMovement(body);
    const expiresAtMs = parseTime((body as { expiresAt?: unknown }).expiresAt, 'expiresAt');
    if (expiresAtMs <= Date.now()) throw new FieldError('expiresAt', 'expiresAt must be in the future');
    const key = await walletOf(tenantId, subject!);
    if (isReply(key)) return key;
    const result = await grantPromotionalCredit(db, { ...key, amountMicros, reference, expiresAtMs });
    return movementReply(result, { subject, amountMicros: amountMicros.toString(), reference, expiresAt: new Date(expiresAtMs).toISOString() });
  }));

  app.put('/v1/wallets/:subject/low-balance-threshold', jsonRoute(deps, 1, true, async ({ tenantId, params: [subject], body }) => {
    const thresholdMicros = parseAmount((body as { thresholdMicros?: unknown } | null)?.thresholdMicros, 'thresholdMicros', { allowZero: true });
    const key = await walletOf(tenantId, subject!);
    if (isReply(key)) return key;
    await setLowBalanceThreshold(db, key, thresholdMicros);
    return { status: 200, body: { subject, lowBalanceThresholdMicros: thresholdMicros.toString() } };
  }));
}
