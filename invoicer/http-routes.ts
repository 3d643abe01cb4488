/**
 * The invoicer's HTTP API, tenant-scoped (another tenant's invoices do not exist):
 *
 *   GET  /v1/invoices?period&status&customer&limit&after   → a page of invoices (newest sequence first is not needed: id order)
 *   GET  /v1/invoices/{id}        → the invoice with lines, payments, credit notes
 *   GET  /v1/invoices/{id}.pdf    → the PDF document;  /v1/invoices/{id}.html → the HTML one
 *   POST /v1/invoices/{id}/finalize | /void {reason} | /payments {amountMicros, method, externalReference}
 *        | /refunds {amountMicros, reason, reference, destination: wallet|payment}
 *   POST /v1/payment-webhooks/{provider}  (no API key: HMAC `provider-signature` over the body) → records the payment once per event id
 *   POST /v1/webhook-endpoints {url, secret, eventTypes}; GET /v1/webhook-endpoints
 *   GET  /v1/webhook-deliveries?status;  POST /v1/webhook-deliveries/{id}/redeliver
 */
import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Logger } from '../platform/log.ts';
import { schema, type Database } from '../platform/postgres.ts';
import type { TenantResolver } from '../platform/tenant.ts';
import { BodyTooLargeError, readBody, sendJson, statusLine, trackAbort, type HttpRequest, type HttpResponse, type Reply, type TemplatedApp } from '../platform/uws.ts';
import { apiError, type ErrorCode } from '../schemas/errors.ts';
import { loadInvoiceDocument } from './document.ts';
import { INVOICE_EVENT_TYPES } from './events.ts';
import { renderInvoiceHtml } from './html.ts';
import { finalizeInvoice, InvoiceError, recordPayment, refundInvoice, voidInvoice } from './lifecycle.ts';
import { renderInvoicePdf } from './pdf.ts';
import { verifySignature } from './webhooks/signature.ts';
import { createWebhookEndpoint, redeliverWebhook } from './webhooks/deliveries.ts';

export interface InvoiceRouteDeps {
  db: Database;
  resolveTenant: TenantResolver;
  log: Logger;
  /** HMAC secret of the payment provider's webhook; empty = the endpoint refuses everything. */
  paymentWebhookSecret: string;
}

const BODY_BYTES_MAX = 256 * 1024;
const PAGE_MAX = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Body = { kind: 'json'; reply: Reply } | { kind: 'bytes'; status: number; contentType: string; body: Buffer | string };
interface Ctx { tenantId: string; params: string[]; query: URLSearchParams; body: unknown; rawBody: string; headers: Record<string, string> }

const json = (status: number, body: unknown): Body => ({ kind: 'json', reply: { status, body } });
const fail = (status: number, code: ErrorCode, message?: string, field?: string): Body => json(status, apiError(code, message, field));

class FieldError extends Error {
  constructor(readonly field: string, message: string) { super(message); }
}

function route(deps: InvoiceRouteDeps, paramCount: number, withBody: boolean, authenticated: boolean, handler: (ctx: Ctx) => Promise<Body>) {
  return (res: HttpResponse, req: HttpRequest): void => {
    const state = trackAbort(res);
    const params = Array.from({ length: paramCount }, (_, i) => decodeURIComponent(req.getParameter(i) ?? ''));
    const query = new URLSearchParams(req.getQuery() ?? '');
    const headers: Record<string, string> = {};
    req.forEach((k, v) => { headers[k] = v; });
    const tenant = authenticated ? deps.resolveTenant(req.getHeader('authorization')) : Promise.resolve({ ok: true as const, tenantId: '' });
    const body = withBody ? readBody(res, BODY_BYTES_MAX) : Promise.resolve(undefined);
    (async (): Promise<Body> => {
      const [raw, resolved] = await Promise.all([body, tenant]);
      if (!resolved.ok) return json(resolved.status, { error: resolved.error });
      let parsed: unknown;
      if (raw !== undefined) {
        if (raw.length === 0) return fail(400, 'TG_BODY_EMPTY');
        try { parsed = JSON.parse(raw.toString('utf8')); } catch { return fail(400, 'TG_BODY_MALFORMED', 'the body is not valid JSON'); }
      }
      return handler({ tenantId: resolved.tenantId, params, query, body: parsed, rawBody: raw?.toString('utf8') ?? '', headers });
    })().then((out) => send(res, state, out), (err: unknown) => {
      if (err instanceof FieldError) send(res, state, fail(400, 'TG_INVOICE_FIELD_INVALID', err.message, err.field));
      else if (err instanceof InvoiceError) {
        const status = err.code === 'TG_NOT_FOUND' ? 404 : err.code === 'TG_INVOICE_FIELD_INVALID' ? 400 : 409;
        send(res, state, fail(status, err.code, err.message, err.field));
      } else if (err instanceof BodyTooLargeError) send(res, state, fail(413, 'TG_BODY_TOO_LARGE', err.message));
      else {
        deps.log.error({ err }, 'invoice request failed');
        send(res, state, fail(500, 'TG_INTERNAL'));
      }
    });
  };
}

function send(res: HttpResponse, state: { aborted: boolean }, out: Body): void {
  if (out.kind === 'json') { sendJson(res, state, out.reply); return; }
  if (state.aborted) return;
  res.cork(() => {
    res.writeStatus(statusLine(out.status));
    res.writeHeader('Content-Type', out.contentType);
    res.end(out.body);
  });
}

function record(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FieldError('', 'the body must be a JSON object');
  return body as Record<string, unknown>;
}
function text(r: Record<string, unknown>, field: string, maxLength = 200): string {
  const v = r[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > maxLength) throw new FieldError(field, `${field} must be a non-empty string of at most ${maxLength} characters`);
  return v;
}
function micros(r: Record<string, unknown>, field: string): bigint {
  const v = r[field];
  if (typeof v === 'string' && /^\d{1,19}$/.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return BigInt(v);
  throw new FieldError(field, `${field} must be a positive whole number of micros (a decimal string or a safe integer)`);
}

export function registerInvoiceRoutes(app: TemplatedApp, deps: InvoiceRouteDeps): void {
  const { db } = deps;
  app.get('/v1/invoices', route(deps, 0, false, true, async ({ tenantId, query }) => {
    const limit = Math.min(PAGE_MAX, Number(query.get('limit') ?? 100) || 100);
    const filters = [eq(schema.invoices.tenantId, tenantId)];
    const period = query.get('period');
    if (period) filters.push(eq(schema.invoices.period, period));
    const status = query.get('status');
    if (status) filters.push(sql`${schema.invoices.status} = ${status}`);
    const customer = query.get('customer');
    if (customer) filters.push(eq(schema.invoices.customerId, customer));
    const after = query.get('after');
    if (after) {
      if (!UUID.test(after)) return fail(400, 'TG_QUERY_PARAM_INVALID', 'after must be an invoice id', 'after');
      filters.push(gt(schema.invoices.id, after));
    }
    const rows = await db.select().from(schema.invoices).where(and(...filters)).orderBy(asc(schema.invoices.id)).limit(limit);
    return json(200, { invoices: rows, nextCursor: rows.length === limit ? rows[rows.length - 1]!.id : null });
  }));
  app.get('/v1/invoices/:id', route(deps, 1, false, true, async ({ tenantId, params }) => {
    const [raw] = params;
    const format = raw!.endsWith('.pdf') ? 'pdf' : raw!.endsWith('.html') ? 'html' : 'json';
    const id = format === 'json' ? raw! : raw!.slice(0, raw!.lastIndexOf('.'));
    if (!UUID.test(id)) return fail(404, 'TG_NOT_FOUND', 'no such invoice');
    const doc = await loadInvoiceDocument(db, tenantId, id);
    if (!doc) return fail(404, 'TG_NOT_FOUND', 'no such invoice');
    if (format === 'pdf') return { kind: 'bytes', status: 200, contentType: 'application/pdf', body: await renderInvoicePdf(doc) };
    if (format === 'html') return { kind: 'bytes', status: 200, contentType: 'text/html; charset=utf-8', body: renderInvoiceHtml(doc) };
    return json(200, { ...doc.invoice, lines: doc.lines, payments: doc.payments, creditNotes: doc.creditNotes });
  }));
  app.post('/v1/invoices/:id/finalize', route(deps, 1, false, true, async ({ tenantId, params }) =>
    json(200, await finalizeInvoice(db, tenantId, uuidParam(params[0]!)))));
  app.post('/v1/invoices/:id/void', route(deps, 1, true, true, async ({ tenantId, params, body }) =>
    json(200, await voidInvoice(db, tenantId, uuidParam(params[0]!), text(record(body), 'reason', 500)))));
  app.post('/v1/invoices/:id/payments', route(deps, 1, true, true, async ({ tenantId, params, body }) => {
    const r = record(body);
    const result = await recordPayment(db, { tenantId, invoiceId: uuidParam(params[0]!), amountMicros: micros(r, 'amountMicros'),
      method: text(r, 'method', 40), externalReference: text(r, 'externalReference') });
    return json(result.created ? 201 : 200, result);
  }));
  app.post('/v1/invoices/:id/refunds', route(deps, 1, true, true, async ({ tenantId, params, body }) => {
    const r = record(body);
    const destination = r.destination === undefined ? 'wallet' : r.destination;
    if (destination !== 'wallet' && destination !== 'payment') throw new FieldError('destination', 'destination must be wallet or payment');
    const result = await refundInvoice(db, { tenantId, invoiceId: uuidParam(params[0]!), amountMicros: micros(r, 'amountMicros'),
      reason: text(r, 'reason', 500), reference: text(r, 'reference'), destination });
    return json(result.created ? 201 : 200, result);
  }));
  app.post('/v1/payment-webhooks/:provider', route(deps, 1, true, false, async ({ params, body, rawBody, headers }) => {
    const check = deps.paymentWebhookSecret
      ? verifySignature(deps.paymentWebhookSecret, rawBody, headers['provider-signature'] ?? '', Math.floor(Date.now() / 1000))
      : { ok: false as const, reason: 'mismatch' as const };
    if (!check.ok) return fail(401, 'TG_WEBHOOK_SIGNATURE_INVALID', `signature ${check.reason}`);
    const event = record(body);
    const eventId = text(event, 'id');
    if (event.type !== 'payment.succeeded') return json(200, { ignored: true, eventId });
    const data = record(event.data);
    const result = await recordPayment(db, { tenantId: text(data, 'tenant'), invoiceId: uuidParam(text(data, 'invoiceId')), amountMicros: micros(data, 'amountMicros'),
      method: params[0]!, externalReference: text(data, 'reference'), providerEventId: `${params[0]}:${eventId}` });
    return json(200, { eventId, paymentId: result.paymentId, duplicate: !result.created, status: result.invoice.status });
  }));
  app.post('/v1/webhook-endpoints', route(deps, 0, true, true, async ({ tenantId, body }) => {
    const r = record(body);
    const url = text(r, 'url', 2000);
    if (!/^https?:\/\//.test(url)) throw new FieldError('url', 'url must be http(s)');
    const types = r.eventTypes === undefined ? [] : r.eventTypes;
    if (!Array.isArray(types) || types.some((t) => !(INVOICE_EVENT_TYPES as readonly unknown[]).includes(t))) {
      throw new FieldError('eventTypes', `eventTypes must be a list of ${INVOICE_EVENT_TYPES.join(', ')}`);
    }
    const secret = typeof r.secret === 'string' && r.secret.length >= 16 ? r.secret : randomBytes(24).toString('base64url');
    const id = await createWebhookEndpoint(db, { tenantId, url, secret, eventTypes: types as string[] });
    return json(201, { id, url, eventTypes: types, secret });
  }));
  app.get('/v1/webhook-endpoints', route(deps, 0, false, true, async ({ tenantId }) => {
    const rows = await db.select({ id: schema.webhookEndpoints.id, url: schema.webhookEndpoints.url, eventTypes: schema.webhookEndpoints.eventTypes,
      active: schema.webhookEndpoints.active }).from(schema.webhookEndpoints).where(eq(schema.webhookEndpoints.tenantId, tenantId));
    return json(200, { endpoints: rows });
  }));
  app.get('/v1/webhook-deliveries', route(deps, 0, false, true, async ({ tenantId, query }) => {
    const status = query.get('status');
    const rows = await db.select().from(schema.webhookDeliveries).where(and(eq(schema.webhookDeliveries.tenantId, tenantId),
      status ? sql`${schema.webhookDeliveries.status} = ${status}` : undefined)).orderBy(asc(schema.webhookDeliveries.createdAt)).limit(PAGE_MAX);
    return json(200, { deliveries: rows });
  }));
  app.post('/v1/webhook-deliveries/:id/redeliver', route(deps, 1, false, true, async ({ tenantId, params }) =>
    (await redeliverWebhook(db, tenantId, uuidParam(params[0]!))) ? json(202, { queued: true }) : fail(404, 'TG_NOT_FOUND', 'no such delivery')));
}

function uuidParam(id: string): string {
  if (!UUID.test(id)) throw new InvoiceError('TG_NOT_FOUND', `no such resource ${id.slice(0, 40)}`);
  return id;
}
