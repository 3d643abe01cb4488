/**
 * Delivery of queued voucher messages (code resends) through a transport
 * (SMS or e-mail provider; a log transport in development). Rows are claimed
 * in a short transaction (`SKIP LOCKED`, attempt counted, lease set), sent
 * outside it, then marked `sent` or rescheduled with exponential backoff, and
 * `dead` after ATTEMPTS_MAX. A crash mid-send leaves the row to be retried when
 * its lease runs out: delivery is at least once.
 */
import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import type { Logger } from '../../platform/log.ts';
import { schema, type Database } from '../../platform/postgres.ts';
import { formatBytes, formatDuration } from './csv.ts';
import { maskRecipient, type ResendChannel } from './inputs.ts';
import { voucherMetrics } from './metrics.ts';

export const OUTBOX_BATCH_SIZE = 50;
export const OUTBOX_ATTEMPTS_MAX = 8;
export const OUTBOX_BACKOFF_BASE_MS = 30_000;
export const OUTBOX_BACKOFF_MAX_MS = 6 * 3_600_000;
/** How long a claimed row is left alone by other dispatchers while it is being sent. */
export const OUTBOX_LEASE_MS = 60_000;

export interface OutboundMessage {
  id: string;
  tenantId: string;
  voucherId: string;
  channel: ResendChannel;
  to: string;
  subject: string;
  /** Contains the code: a transport sends it and never logs it. */
  text: string;
}

export interface MessageTransport {
  name: string;
  send(message: OutboundMessage): Promise<void>;
}

/** Development transport: logs that a message would go out, without its text (which holds the code). */
export function createLogTransport(log: Logger): MessageTransport {
  return {
    name: 'log',
    async send(message) {
      log.info({ messageId: message.id, voucherId: message.voucherId, channel: message.channel,
        to: maskRecipient({ channel: message.channel, to: message.to }), textChars: message.text.length }, 'voucher message (log transport, not sent)');
    },
  };
}

export interface MessageTerms {
  code: string;
  profileName: string;
  dataQuotaBytes: bigint | null;
  timeQuotaSeconds: bigint | null;
  validitySeconds: bigint;
}

export function renderVoucherMessage(terms: MessageTerms): { subject: string; text: string } {
  const limits = [`data ${formatBytes(terms.dataQuotaBytes)}`, `time ${formatDuration(terms.timeQuotaSeconds)}`,
    `valid ${formatDuration(terms.validitySeconds)} from first login`];
  return { subject: `Your ${terms.profileName} hotspot voucher`, text: `Your ${terms.profileName} hotspot voucher code: ${terms.code} (${limits.join(', ')}).` };
}

export function backoffMs(attempts: number): number {
  return Math.min(OUTBOX_BACKOFF_MAX_MS, OUTBOX_BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
}

export interface DeliveryReport {
  sent: number;
  cancelled: number;
  retried: number;
  dead: number;
}

export async function deliverVoucherOutbox(db: Database, transport: MessageTransport, options: { now?: Date; batchSize?: number } = {}): Promise<DeliveryReport> {
  const now = options.now ?? new Date();
  const o = schema.voucherOutbox;
  const claimed = await db.transaction(async (tx) => {
    const due = await tx.select().from(o).where(and(eq(o.status, 'pending'), lte(o.nextAttemptAt, now)))
      .orderBy(asc(o.nextAttemptAt)).limit(options.batchSize ?? OUTBOX_BATCH_SIZE).for('update', { skipLocked: true });
    if (due.length === 0) return [];
    await tx.update(o).set({ nextAttemptAt: new Date(now.getTime() + OUTBOX_LEASE_MS) }).where(inArray(o.id, due.map((row) => row.id)));
    return due;
  });
  const report: DeliveryReport = { sent: 0, cancelled: 0, retried: 0, dead: 0 };
  for (const row of claimed) {
    const attempts = row.attempts + 1;
    try {
      const message = await loadMessage(db, row);
      if (message === 'unusable') {
        // A disabled, used or expired voucher's code is worth nothing to its holder: do not send it.
        await db.update(o).set({ status: 'cancelled', attempts, lastError: 'the voucher is no longer usable' }).where(eq(o.id, row.id));
        report.cancelled++;
        continue;
      }
      await transport.send(message);
      await db.update(o).set({ status: 'sent', attempts, sentAt: now, lastError: null }).where(eq(o.id, row.id));
      report.sent++;
    } catch (err) {
      const lastError = (err instanceof Error ? err.message : String(err)).slice(0, 500);
      const dead = attempts >= OUTBOX_ATTEMPTS_MAX;
      await db.update(o).set({ status: dead ? 'dead' : 'pending', attempts, lastError, nextAttemptAt: new Date(now.getTime() + backoffMs(attempts)) })
        .where(eq(o.id, row.id));
      if (dead) report.dead++;
      else report.retried++;
    }
  }
  for (const [outcome, n] of Object.entries(report)) if (n > 0) voucherMetrics.messages.inc({ outcome }, n);
  return report;
}

async function loadMessage(db: Database, row: typeof schema.voucherOutbox.$inferSelect): Promise<OutboundMessage | 'unusable'> {
  const v = schema.vouchers;
  const p = schema.voucherProfiles;
  const [voucher] = await db.select({ voucher: v, profileName: p.name }).from(v).innerJoin(p, eq(p.id, v.profileId)).where(eq(v.id, row.voucherId));
  if (!voucher) throw new Error(`voucher ${row.voucherId} of message ${row.id} is gone`);
  if (voucher.voucher.status !== 'unused' && voucher.voucher.status !== 'active') return 'unusable';
  const { subject, text } = renderVoucherMessage({ ...voucher.voucher, profileName: voucher.profileName });
  return { id: row.id, tenantId: row.tenantId, voucherId: row.voucherId, channel: row.channel, to: row.recipient, subject, text };
}
