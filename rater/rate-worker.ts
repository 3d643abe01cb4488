/** Piscina worker body: decode msgpack records, rate, encode JSONEachRow. */
import { Unpackr } from 'msgpackr';
import type { WireEvent } from '../schemas/event.ts';
import { readSharedCatalog } from './catalog-transport.ts';
import { indexCatalog, rateEvents, type CatalogIndex, type LocatedEvent, type RatingSkip } from './rate-events.ts';
import type { RatedEventKey, RateTask, RateTaskResult } from './rate-task.ts';
import { splitUsageStateKey, type UsageStateEntry } from './usage-state.ts';
import { WorkerUsageStates } from './worker-usage-state.ts';

const unpackr = new Unpackr({ useRecords: true });
const encoder = new TextEncoder();
let cachedIndex: CatalogIndex | undefined;
const usageStates = new WorkerUsageStates();
const SKIP_SAMPLES_MAX = 5;

function toJsonEachRow(rows: readonly object[]): Uint8Array {
  if (rows.length === 0) return new Uint8Array(0);
  let text = '';
  for (const row of rows) text += `${JSON.stringify(row)}\n`;
  return encoder.encode(text);
}

/** JSONEachRow bytes plus where each line ends, so rows can be dropped later without re-encoding. */
function toJsonLines(rows: readonly object[]): { bytes: Uint8Array; lineEnds: Uint32Array } {
  const lines = rows.map((row) => encoder.encode(`${JSON.stringify(row)}\n`));
  const lineEnds = new Uint32Array(lines.length);
  let total = 0;
  lines.forEach((line, i) => { total += line.byteLength; lineEnds[i] = total; });
  const bytes = new Uint8Array(total);
  let position = 0;
  for (const line of lines) { bytes.set(line, position); position += line.byteLength; }
  return { bytes, lineEnds };
}

const STATE_MISS: Omit<RateTaskResult, 'stateMiss'> = {
  rawJson: new Uint8Array(0), ratedJson: new Uint8Array(0), ratedLineEnds: new Uint32Array(0), ratedRowIdentities: [], ratedEvents: [],
  rawCount: 0, ratedCount: 0, charges: [], skipCounts: {}, skipSamples: [], usageStateChanges: [], crossings: [], corruptRecords: [],
};

export function runRateTask(task: RateTask): RateTaskResult {
  const state = usageStates.acquire(task.partition, task.stateGeneration, task.usageState);
  if (!state) return { ...STATE_MISS, stateMiss: true };
  if (cachedIndex?.version !== task.catalog.version) cachedIndex = indexCatalog(readSharedCatalog(task.catalog));
  const bytes = new Uint8Array(task.records);
  const located: LocatedEvent[] = [];
  const corruptRecords: RateTaskResult['corruptRecords'] = [];
  let position = 0;
  for (let i = 0; i < task.recordLengths.length; i++) {
    const length = task.recordLengths[i]!;
    const offset = task.recordOffsets[i]!;
    const slice = bytes.subarray(position, position + length);
    position += length;
    try {
      const events = unpackr.unpack(slice) as WireEvent[];
      if (!Array.isArray(events)) throw new Error('record is not an array of events');
      for (const event of events) located.push({ event, partition: task.partition, offset });
    } catch (err) {
      corruptRecords.push({ offset, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const undo = new Map<string, bigint | undefined>();
  let result: ReturnType<typeof rateEvents>;
  try {
    result = rateEvents(located, cachedIndex, { epoch: task.epoch, state, ratedEarlier: new Set(task.ratedEarlier), undo });
  } catch (err) {
    usageStates.forget(task.partition);
    throw err;
  }
  usageStates.advance(task.partition, task.stateGeneration, task.nextStateGeneration, undo);
  const skipCounts: Partial<Record<RatingSkip['reason'], number>> = {};
  // Events rated earlier are counted by the service as duplicates of earlier batches.
  for (const skip of result.skips) if (skip.reason !== 'rated_earlier') skipCounts[skip.reason] = (skipCounts[skip.reason] ?? 0) + 1;
  const usageStateChanges: UsageStateEntry[] = [];
  for (const [key, quantityNanos] of result.stateChanges) usageStateChanges.push({ ...splitUsageStateKey(key), quantityNanos: quantityNanos.toString() });
  const rated = toJsonLines(result.rated);
  const ratedRowIdentities = result.rated.map((row) => `${row.tenant}\u0000${row.source}\u0000${row.id}`);
  const ratedEvents: RatedEventKey[] = [];
  const seenIdentities = new Set<string>();
  result.rated.forEach((row, i) => {
    const identity = ratedRowIdentities[i]!;
    if (seenIdentities.has(identity)) return;
    seenIdentities.add(identity);
    ratedEvents.push({ identity, tenant: row.tenant, subject: row.subject, source: row.source, id: row.id, offset: row.kafka_offset });
  });
  return {
    rawJson: toJsonEachRow(result.raw),
    ratedJson: rated.bytes,
    ratedLineEnds: rated.lineEnds,
    ratedRowIdentities,
    ratedEvents,
    rawCount: result.raw.length,
    ratedCount: result.rated.length,
    charges: result.charges,
    skipCounts,
    skipSamples: result.skips.slice(0, SKIP_SAMPLES_MAX),
    stateMiss: false,
    usageStateChanges,
    crossings: result.crossings,
    corruptRecords,
  };
}

/**
 * The result is structured-cloned back: the row bytes are one memcpy each
 * (Piscina transfers only a top-level movable, not fields of an object).
 */
export default function rateInWorker(task: RateTask): RateTaskResult {
  return runRateTask(task);
}
