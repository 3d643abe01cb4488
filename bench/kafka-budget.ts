/**
 * Keeps a skeleton run under the mock broker's ≈5 MB per partition (DESIGN
 * §10): projects the bytes each usage.events partition receives from the
 * run's events (partitioned by subject as ingest does) and refuses runs that
 * would push unrated records out of the broker.
 */
import { Packr } from 'msgpackr';
import { partitionFor } from '../ingest/index.ts';
import { PARTITION_BYTES_BUDGET } from './context.ts';
import { wireEvents } from './events.ts';

/** Smallest records ingest is likely to write under load (linger 2 ms) — the worst case for per-record overhead. */
const EVENTS_PER_SMALL_RECORD = 10;
const RECORD_OVERHEAD_BYTES = 200;

export interface PartitionProjection {
  bytesPerEvent: number;
  eventsPerPartition: number[];
  maxPartitionBytes: number;
  /** Largest --events that fits the budget with this spread of subjects. */
  maxEvents: number;
}

export function projectPartitions(events: number, tenant: string, subjects: readonly string[], partitionCount: number): PartitionProjection {
  const sample = wireEvents(EVENTS_PER_SMALL_RECORD, tenant, 'bench-skeleton-xxxxxxxxxxxx', subjects, 'sk-xxxxxxxxxxxxx');
  const bytesPerEvent = (new Packr({ useRecords: true }).pack(sample).length + RECORD_OVERHEAD_BYTES) / EVENTS_PER_SMALL_RECORD;
  const perSubject = subjects.map((_, i) => Math.floor(events / subjects.length) + (i < events % subjects.length ? 1 : 0));
  const eventsPerPartition = new Array<number>(partitionCount).fill(0);
  subjects.forEach((subject, i) => {
    const partition = partitionFor(tenant, subject, partitionCount);
    eventsPerPartition[partition] = eventsPerPartition[partition]! + perSubject[i]!;
  });
  const busiest = Math.max(...eventsPerPartition);
  const busiestShare = busiest / events;
  return {
    bytesPerEvent,
    eventsPerPartition,
    maxPartitionBytes: busiest * bytesPerEvent,
    maxEvents: Math.floor(PARTITION_BYTES_BUDGET / bytesPerEvent / busiestShare),
  };
}
