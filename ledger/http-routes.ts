/**
 * Wallet routes: `GET /v1/wallets/{subject}` (balance and recent transfers) and
 * `POST /v1/wallets/{subject}/top-ups` ({amountMicros, reference}; the same
 * reference tops up once).
 */
import { apiError } from '../schemas/errors.ts';
import type { Logger } from '../platform/log.ts';
import type { Database } from '../platform/postgres.ts';
import type { TenantResolver } from '../platform/tenant.ts';
import { BodyTooLargeError, readBody, sendJson, trackAbort, type HttpResponse, type TemplatedApp } from '../platform/uws.ts';
import { customerBySubject } from '../rater/index.ts';
import { topUpWallet, walletBalance, walletTransfers } from './wallets.ts';

const TOP_UP_BODY_BYTES_MAX = 4096;

export function registerWalletRoutes(app: TemplatedApp, deps: { db: Database; resolveTenant: TenantResolver; log: Logger }): void {
  const fail = (res: HttpResponse, state: { aborted: boolean }) => (err: unknown): void => {
    deps.log.error({ err }, 'wallet request failed');
    sendJson(res, state, { status: 500, body: apiError('TG_INTERNAL') });
  };

  app.get('/v1/wallets/:subject', (res, req) => {
    const state = trackAbort(res);
    const subject = decodeURIComponent(req.getParameter(0) ?? '');
    const tenantResolution = deps.resolveTenant(req.getHeader('authorization'));
    (async () => {
      const resolved = await tenantResolution;
      if (!resolved.ok) {
        sendJson(res, state, { status: resolved.status, body: { error: resolved.error } });
        return;
      }
      const tenant = resolved.tenantId;
      const customer = await customerBySubject(deps.db, tenant, subject);
      if (!customer) {
        sendJson(res, state, { status: 404, body: apiError('TG_NOT_FOUND', `no customer with subject ${subject}`, 'subject') });
        return;
      }
      const balance = await walletBalance(deps.db, tenant, customer.id, customer.currency);
      const transfers = await walletTransfers(deps.db, tenant, customer.id, customer.currency, 20);
      sendJson(res, state, { status: 200, body: { subject, customerId: customer.id, ...balance, transfers } });
    })().catch(fail(res, state));
  });

  app.post('/v1/wallets/:subject/top-ups', (res, req) => {
    const state = trackAbort(res);
    const subject = decodeURIComponent(req.getParameter(0) ?? '');
    const tenantResolution = deps.resolveTenant(req.getHeader('authorization'));
    readBody(res, TOP_UP_BODY_BYTES_MAX).then(async (body) => {
      const resolved = await tenantResolution;
      if (!resolved.ok) {
        sendJson(res, state, { status: resolved.status, body: { error: resolved.error } });
        return;
      }
      const tenant = resolved.tenantId;
      let parsed: { amountMicros?: unknown; reference?: unknown };
      try {
        parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
      } catch {
        sendJson(res, state, { status: 400, body: apiError('TG_BODY_MALFORMED', 'body is not valid JSON') });
        return;
      }
      const amountText = typeof parsed.amountMicros === 'number' || typeof parsed.amountMicros === 'string' ? String(parsed.amountMicros) : '';
      if (!/^[1-9]\d{0,17}$/.test(amountText)) {
        sendJson(res, state, { status: 400, body: apiError('TG_EVENT_FIELD_INVALID', 'amountMicros must be a positive integer (string or number)', 'amountMicros') });
        return;
      }
      if (typeof parsed.reference !== 'string' || parsed.reference === '' || parsed.reference.length > 200) {
        sendJson(res, state, { status: 400, body: apiError('TG_EVENT_FIELD_INVALID', 'reference must be a non-empty string of at most 200 characters', 'reference') });
        return;
      }
      const customer = await customerBySubject(deps.db, tenant, subject);
      if (!customer) {
        sendJson(res, state, { status: 404, body: apiError('TG_NOT_FOUND', `no customer with subject ${subject}`, 'subject') });
        return;
      }
      const result = await topUpWallet(deps.db, { tenantId: tenant, customerId: customer.id, currency: customer.currency,
        amountMicros: BigInt(amountText), reference: parsed.reference });
      const status = result === 'ok' ? 201 : result === 'exists' ? 200 : 409;
      sendJson(res, state, { status, body: { result, subject, amountMicros: amountText, reference: parsed.reference } });
    }).catch((err: unknown) => {
      if (err instanceof BodyTooLargeError) sendJson(res, state, { status: 413, body: apiError('TG_BODY_TOO_LARGE', err.message) });
      else fail(res, state)(err);
    });
  });
}
