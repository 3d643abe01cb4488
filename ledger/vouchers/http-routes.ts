/**
 * Voucher HTTP API (tenant-scoped through the Authorization header, coded
 * errors `{error: {code, message, field?}}`, money and quotas as decimal
 * strings):
 *
 *   POST   /v1/voucher-profiles                    create a profile
 *   GET    /v1/voucher-profiles[?archived=true]    list profiles
 *   GET    /v1/voucher-profiles/:name              one profile
 *   PATCH  /v1/voucher-profiles/:name              change a profile (future batches)
 *   DELETE /v1/voucher-profiles/:name              archive a profile
 *   POST   /v1/voucher-batches                     generate {profile, count, prefix?, codeLength?, alphabet?, requestId?}
 *   GET    /v1/voucher-batches/:id                 one batch
 *   GET    /v1/voucher-batches/:id/vouchers.csv    printable CSV of a batch
 *   GET    /v1/vouchers?status=&batch=&profile=&customer=&code=&cursor=&limit=   a page of vouchers (codes hidden)
 *   GET    /v1/vouchers.csv?status=&batch=&profile=&customer=                    printable CSV
 *   GET    /v1/vouchers/:id                        one voucher, with its code
 *   GET    /v1/vouchers/:id/events                 its audit trail
 *   POST   /v1/vouchers/:id/sell                   {subject | customerId, payment: wallet|external, reference?}
 *   POST   /v1/vouchers/:id/activate               first login by id
 *   POST   /v1/vouchers/redeem                     first login by code {code}
 *   POST   /v1/vouchers/:id/disable                {reason?}
 *   POST   /v1/vouchers/:id/transfer               {subject | customerId, reason?}
 *   POST   /v1/vouchers/:id/refund                 {reason?}
 *   POST   /v1/vouchers/:id/resend                 {channel: sms|email, to, requestId?}
 */
import type { Logger } from '../../platform/log.ts';
import type { Database } from '../../platform/postgres.ts';
import type { TenantResolver } from '../../platform/tenant.ts';
import { registerJsonRoutes, type RouteRequest } from '../../platform/json-routes.ts';
import { sendJson, statusLine, type HttpResponse, type TemplatedApp } from '../../platform/uws.ts';
import { activateVoucher, disableVoucher, refundVoucher, resendVoucherCode, sellVoucher, transferVoucher } from './actions.ts';
import { httpStatusOf, voucherError, type VoucherErrorInfo, type VoucherResult } from './errors.ts';
import { exportVouchersCsv } from './export.ts';
import { generateVoucherBatch } from './generate.ts';
import { optionalText, parseBatchRequest, parsePayment, parseProfileChanges, parseProfileInput, parseRecipient } from './inputs.ts';
import { archiveProfile, createProfile, getProfile, listProfiles, updateProfile } from './profiles.ts';
import { countVouchers, findVoucherByCode, getBatch, getVoucher, listVouchers, voucherHistory, type VoucherFilter } from './queries.ts';
import { isVoucherStatus } from './state-machine.ts';
import { customerIdBySubject } from './store.ts';

const BODY_BYTES_MAX = 16 * 1024;
/** An HTTP export is built in memory (≈ 150 B a row); bigger ones go through `tollgate vouchers export`. */
export const HTTP_EXPORT_ROWS_MAX = 100_000;
const ACTOR = 'api';

export interface VoucherRouteDeps {
  db: Database;
  resolveTenant: TenantResolver;
  log: Logger;
}

type Reply = { status: number; body: unknown } | { status: number; csv: string; filename: string };

type Request = RouteRequest;

type Handler = (request: Request) => Promise<Reply>;

function errorReply(error: VoucherErrorInfo): Reply {
  return { status: httpStatusOf(error.code), body: { error } };
}

function reply<T>(result: VoucherResult<T>, status = 200, shape: (value: T) => unknown = (v) => v): Reply {
  return result.ok ? { status, body: shape(result.value) } : errorReply(result.error);
}

function sendCsv(res: HttpResponse, state: { aborted: boolean }, csv: string, filename: string): void {
  if (state.aborted) return;
  res.cork(() => {
    res.writeStatus(statusLine(200));
    res.writeHeader('Content-Type', 'text/csv; charset=utf-8');
    res.writeHeader('Content-Disposition', `attachment; filename="${filename}"`);
    res.end(csv);
  });
}

/** Where a sale or transfer goes: `customerId`, or the CloudEvents `subject` of the customer. */
async function customerOf(db: Database, tenantId: string, body: Record<string, unknown>): Promise<VoucherResult<string>> {
  if (typeof body.customerId === 'string') return { ok: true, value: body.customerId };
  if (typeof body.subject === 'string' && body.subject !== '') {
    const customerId = await customerIdBySubject(db, tenantId, body.subject);
    return customerId ? { ok: true, value: customerId } : { ok: false, error: voucherError('TG_VOUCHER_CUSTOMER_NOT_FOUND', undefined, 'subject') };
  }
  return { ok: false, error: voucherError('TG_VOUCHER_INPUT_INVALID', 'name the customer by subject or customerId', 'subject') };
}

function record(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? body as Record<string, unknown> : {};
}

function filterFrom(query: URLSearchParams): VoucherResult<VoucherFilter> {
  const filter: VoucherFilter = {};
  const status = query.get('status');
  if (status !== null) {
    if (!isVoucherStatus(status)) return { ok: false, error: voucherError('TG_VOUCHER_INPUT_INVALID', 'status must be unused, active, used, expired or disabled', 'status') };
    filter.status = status;
  }
  const batch = query.get('batch');
  if (batch !== null) filter.batchId = batch;
  const profile = query.get('profile');
  if (profile !== null) filter.profileName = profile;
  const customer = query.get('customer');
  if (customer !== null) filter.customerId = customer;
  return { ok: true, value: filter };
}

async function csvReply(db: Database, tenantId: string, filter: VoucherFilter, filename: string): Promise<Reply> {
  const rows = await countVouchers(db, tenantId, filter);
  if (rows > HTTP_EXPORT_ROWS_MAX) {
    return errorReply(voucherError('TG_VOUCHER_INPUT_INVALID', `${rows} vouchers match; an HTTP export holds at most ${HTTP_EXPORT_ROWS_MAX} (narrow the filter or use tollgate vouchers export)`));
  }
  const chunks: string[] = [];
  for await (const chunk of exportVouchersCsv(db, tenantId, filter)) chunks.push(chunk);
  return { status: 200, csv: chunks.join(''), filename };
}

const ROUTES: { method: 'get' | 'post' | 'patch' | 'del'; pattern: string; params: number; handler: (deps: VoucherRouteDeps) => Handler }[] = [
  { method: 'post', pattern: '/v1/voucher-profiles', params: 0, handler: ({ db }) => async ({ tenantId, body }) => {
    const input = parseProfileInput(body);
    return input.ok ? reply(await createProfile(db, tenantId, input.value), 201) : errorReply(input.error);
  } },
  { method: 'get', pattern: '/v1/voucher-profiles', params: 0, handler: ({ db }) => async ({ tenantId, query }) =>
    ({ status: 200, body: { profiles: await listProfiles(db, tenantId, { includeArchived: query.get('archived') === 'true' }) } }) },
  { method: 'get', pattern: '/v1/voucher-profiles/:name', params: 1, handler: ({ db }) => async ({ tenantId, params }) =>
    reply(await getProfile(db, tenantId, params[0]!)) },
  { method: 'patch', pattern: '/v1/voucher-profiles/:name', params: 1, handler: ({ db }) => async ({ tenantId, params, body }) => {
    const changes = parseProfileChanges(body);
    return changes.ok ? reply(await updateProfile(db, tenantId, params[0]!, changes.value)) : errorReply(changes.error);
  } },
  { method: 'del', pattern: '/v1/voucher-profiles/:name', params: 1, handler: ({ db }) => async ({ tenantId, params }) =>
    reply(await archiveProfile(db, tenantId, params[0]!)) },
  { method: 'post', pattern: '/v1/voucher-batches', params: 0, handler: ({ db }) => async ({ tenantId, body }) => {
    const request = parseBatchRequest(body);
    if (!request.ok) return errorReply(request.error);
    const result = await generateVoucherBatch(db, { tenantId, actor: ACTOR }, request.value);
    return result.ok ? { status: result.value.created ? 201 : 200, body: result.value } : errorReply(result.error);
  } },
  { method: 'get', pattern: '/v1/voucher-batches/:id', params: 1, handler: ({ db }) => async ({ tenantId, params }) =>
    reply(await getBatch(db, tenantId, params[0]!)) },
  { method: 'get', pattern: '/v1/voucher-batches/:id/vouchers.csv', params: 1, handler: ({ db }) => async ({ tenantId, params }) => {
    const batch = await getBatch(db, tenantId, params[0]!);
    return batch.ok ? csvReply(db, tenantId, { batchId: batch.value.id }, `vouchers-${batch.value.profileName}-${batch.value.id}.csv`) : errorReply(batch.error);
  } },
  { method: 'get', pattern: '/v1/vouchers', params: 0, handler: ({ db }) => async ({ tenantId, query }) => {
    const code = query.get('code');
    if (code !== null) {
      const found = await findVoucherByCode(db, tenantId, code);
      const { code: _code, ...hidden } = found.ok ? found.value : { code: undefined };
      return { status: 200, body: { vouchers: found.ok ? [hidden] : [], nextCursor: null } };
    }
    const filter = filterFrom(query);
    if (!filter.ok) return errorReply(filter.error);
    const limit = query.get('limit');
    return reply(await listVouchers(db, tenantId, filter.value, { cursor: query.get('cursor'), limit: limit === null ? undefined : Number(limit) }));
  } },
  { method: 'get', pattern: '/v1/vouchers.csv', params: 0, handler: ({ db }) => async ({ tenantId, query }) => {
    const filter = filterFrom(query);
    return filter.ok ? csvReply(db, tenantId, filter.value, 'vouchers.csv') : errorReply(filter.error);
  } },
  { method: 'get', pattern: '/v1/vouchers/:id', params: 1, handler: ({ db }) => async ({ tenantId, params }) =>
    reply(await getVoucher(db, tenantId, params[0]!)) },
  { method: 'get', pattern: '/v1/vouchers/:id/events', params: 1, handler: ({ db }) => async ({ tenantId, params }) =>
    reply(await voucherHistory(db, tenantId, params[0]!), 200, (events) => ({ events })) },
  { method: 'post', pattern: '/v1/vouchers/:id/sell', params: 1, handler: ({ db }) => async ({ tenantId, params, body }) => {
    const fields = record(body);
    const payment = parsePayment(fields.payment);
    if (!payment.ok) return errorReply(payment.error);
    const reference = optionalText(fields.reference, 'reference');
    if (!reference.ok) return errorReply(reference.error);
    const customer = await customerOf(db, tenantId, fields);
    if (!customer.ok) return errorReply(customer.error);
    return reply(await sellVoucher(db, { tenantId, actor: ACTOR },
      { voucherId: params[0]!, customerId: customer.value, payment: payment.value, reference: reference.value }));
  } },
  { method: 'post', pattern: '/v1/vouchers/:id/activate', params: 1, handler: ({ db }) => async ({ tenantId, params }) =>
    reply(await activateVoucher(db, { tenantId, actor: ACTOR }, { voucherId: params[0]! })) },
  { method: 'post', pattern: '/v1/vouchers/redeem', params: 0, handler: ({ db }) => async ({ tenantId, body }) => {
    const code = record(body).code;
    if (typeof code !== 'string') return errorReply(voucherError('TG_VOUCHER_INPUT_INVALID', 'code must be a string', 'code'));
    return reply(await activateVoucher(db, { tenantId, actor: ACTOR }, { code }));
  } },
  { method: 'post', pattern: '/v1/vouchers/:id/disable', params: 1, handler: ({ db }) => async ({ tenantId, params, body }) => {
    const reason = optionalText(record(body).reason, 'reason');
    return reason.ok ? reply(await disableVoucher(db, { tenantId, actor: ACTOR }, { voucherId: params[0]!, reason: reason.value })) : errorReply(reason.error);
  } },
  { method: 'post', pattern: '/v1/vouchers/:id/transfer', params: 1, handler: ({ db }) => async ({ tenantId, params, body }) => {
    const fields = record(body);
    const reason = optionalText(fields.reason, 'reason');
    if (!reason.ok) return errorReply(reason.error);
    const customer = await customerOf(db, tenantId, fields);
    if (!customer.ok) return errorReply(customer.error);
    return reply(await transferVoucher(db, { tenantId, actor: ACTOR }, { voucherId: params[0]!, customerId: customer.value, reason: reason.value }));
  } },
  { method: 'post', pattern: '/v1/vouchers/:id/refund', params: 1, handler: ({ db }) => async ({ tenantId, params, body }) => {
    const reason = optionalText(record(body).reason, 'reason');
    return reason.ok ? reply(await refundVoucher(db, { tenantId, actor: ACTOR }, { voucherId: params[0]!, reason: reason.value })) : errorReply(reason.error);
  } },
  { method: 'post', pattern: '/v1/vouchers/:id/resend', params: 1, handler: ({ db }) => async ({ tenantId, params, body }) => {
    const fields = record(body);
    const recipient = parseRecipient(fields.channel, fields.to);
    if (!recipient.ok) return errorReply(recipient.error);
    const requestId = optionalText(fields.requestId, 'requestId');
    if (!requestId.ok) return errorReply(requestId.error);
    return reply(await resendVoucherCode(db, { tenantId, actor: ACTOR }, { voucherId: params[0]!, recipient: recipient.value, requestId: requestId.value }));
  } },
];

/**
 * What a failed request logs: drizzle's query errors carry the statement's
 * parameters in their message, which may hold voucher codes; keep the
 * driver's own message and error code instead.
 */
export { loggableError } from '../../platform/json-routes.ts';

export function registerVoucherRoutes(app: TemplatedApp, deps: VoucherRouteDeps): void {
  const routes = ROUTES.map((route) => ({ method: route.method, pattern: route.pattern, params: route.params, handle: route.handler(deps) }));
  registerJsonRoutes(app, routes, {
    resolveTenant: deps.resolveTenant, log: deps.log, name: 'voucher', bodyBytesMax: BODY_BYTES_MAX,
    send: (res, state, out) => {
      if ('csv' in out) sendCsv(res, state, out.csv, out.filename);
      else sendJson(res, state, { status: out.status, body: out.body });
    },
  });
}
