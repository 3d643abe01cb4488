/**
 * Voucher quotas from the usage log: a Kafka consumer group on `usage.events`
 * that takes the hotspot usage events and books each into its voucher
 * (`consumeVoucherQuota`, idempotent per (voucher, session, sequence)), so a
 * replay after a crash counts nothing twice. When a report uses the voucher
 * up, a `quota.exceeded` record goes to Kafka (idempotent id per voucher); the
 * cutoff service acts on it. Offsets are committed after the batch is booked.
 */
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { Unpackr } from 'msgpackr';
import { consumeVoucherQuota } from '../ledger/index.ts';
import type { Logger } from '../platform/log.ts';
import type { Database } from '../platform/postgres.ts';
import { counter } from '../platform/metrics.ts';
import { TOPICS, type WireEvent } from '../schemas/event.ts';
import { HOTSPOT_USAGE_EVENT_TYPE, isHotspotUsageData, voucherQuotaExceeded } from './events.ts';

const metrics = {
  reports: counter('tollgate_hotspot_quota_reports_total', 'hotspot usage events booked into voucher quotas, by outcome', ['outcome']),
};

export interface QuotaConsumerOptions {
  kafka: Kafka;
  producer: Producer;
  db: Database;
  log: Logger;
  groupId: string;
}

export class QuotaConsumer {
  private readonly consumer: Consumer;
  private readonly unpackr = new Unpackr({ useRecords: true });

  constructor(private readonly options: QuotaConsumerOptions) {
    this.consumer = options.kafka.consumer({ groupId: options.groupId, sessionTimeout: 10_000, rebalanceTimeout: 5000, heartbeatInterval: 1000, maxWaitTimeInMs: 50 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: TOPICS.usageEvents, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const events: WireEvent[] = [];
        for (const message of batch.messages) {
          if (!message.value) continue;
          for (const event of this.unpackr.unpack(message.value) as WireEvent[]) if (event.type === HOTSPOT_USAGE_EVENT_TYPE) events.push(event);
        }
        await this.book(events);
        const last = batch.messages[batch.messages.length - 1]!.offset;
        resolveOffset(last);
        await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
        await heartbeat();
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  /** Vouchers in parallel, the reports of one voucher in order (they lock the same row anyway). */
  private async book(events: WireEvent[]): Promise<void> {
    const byVoucher = new Map<string, WireEvent[]>();
    for (const event of events) {
      const voucherId = event.data.voucherId;
      if (typeof voucherId !== 'string') continue;
      const list = byVoucher.get(voucherId) ?? [];
      list.push(event);
      byVoucher.set(voucherId, list);
    }
    await Promise.all([...byVoucher.values()].map(async (list) => {
      for (const event of list) await this.bookOne(event);
    }));
  }

  private async bookOne(event: WireEvent): Promise<void> {
    const data = event.data;
    if (!isHotspotUsageData(data)) {
      metrics.reports.inc({ outcome: 'malformed' });
      return;
    }
    const ctx = { tenantId: event.tenant, actor: `router:${data.routerId}` };
    const result = await consumeVoucherQuota(this.options.db, ctx, {
      voucherId: data.voucherId, sessionId: `${data.routerId}:${data.sessionId}`, sequence: BigInt(data.sequence),
      bytesIn: BigInt(data.bytesIn), bytesOut: BigInt(data.bytesOut), seconds: BigInt(data.seconds),
    });
    if (!result.ok) {
      // Refusals are permanent for this report (unknown voucher, conflicting figures): counted, logged, skipped.
      metrics.reports.inc({ outcome: result.error.code });
      this.options.log.warn({ code: result.error.code, eventId: event.id }, 'hotspot usage not booked into its voucher');
      return;
    }
    metrics.reports.inc({ outcome: result.value.outcome });
    const voucher = result.value.voucher;
    // Only a used-up voucher is a quota event; expired and disabled ones are cut off by the sweep (cutoffs.ts).
    if (!result.value.cutOff || voucher.status !== 'used') return;
    const exceeded = voucherQuotaExceeded({
      tenant: event.tenant, voucherId: voucher.id, customerId: voucher.customerId, activatedAt: voucher.activatedAt, expiresAt: voucher.expiresAt,
      limitBytes: voucher.dataQuotaBytes, usedBytes: voucher.dataUsedBytes, cause: { source: event.source, id: event.id, timeMs: event.timeMs },
    });
    await this.options.producer.send({ topic: TOPICS.quotaExceeded, acks: -1, messages: [{ key: `${event.tenant}:${exceeded.subject}`, value: JSON.stringify(exceeded) }] });
  }
}
