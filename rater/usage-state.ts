/**
 * The running usage of one partition: quantity in nano-units per
 * (customer, meter, billing period). Pure data and its byte form — the rater
 * service holds a partition's state as bytes and hands them to a worker with
 * each task (the main thread never decodes them); the worker returns the new
 * bytes and the entries it changed, which are checkpointed with the offsets.
 */
import { Packr } from 'msgpackr';

/** `customerId \0 meterId \0 periodStart` → quantity in nano-units. */
export type UsageState = Map<string, bigint>;

export interface UsageStateEntry {
  customerId: string;
  meterId: string;
  /** `YYYY-MM-01`, UTC. */
  periodStart: string;
  /** Integer nano-units as a decimal string. */
  quantityNanos: string;
}

const packr = new Packr({ useRecords: false });

export function usageStateKey(customerId: string, meterId: string, periodStart: string): string {
  return `${customerId}\u0000${meterId}\u0000${periodStart}`;
}

export function splitUsageStateKey(key: string): { customerId: string; meterId: string; periodStart: string } {
  const [customerId, meterId, periodStart] = key.split('\u0000');
  return { customerId: customerId!, meterId: meterId!, periodStart: periodStart! };
}

/** The billing period (UTC calendar month) of an instant: first day and the next month's first day. */
export function billingPeriodOf(timeMs: number): { start: string; end: string } {
  const date = new Date(timeMs);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  const day = (y: number, m: number): string => new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  return { start: day(year, month), end: day(year, month + 1) };
}

/** Byte form: two parallel arrays, keys and decimal quantities (msgpack). */
export function encodeUsageState(state: UsageState): Uint8Array {
  const keys: string[] = [];
  const values: string[] = [];
  for (const [key, value] of state) {
    keys.push(key);
    values.push(value.toString());
  }
  // Packr reuses its buffer: copy out an owned one.
  return Uint8Array.from(packr.pack([keys, values]));
}

export function decodeUsageState(bytes: Uint8Array): UsageState {
  const state: UsageState = new Map();
  if (bytes.byteLength === 0) return state;
  const [keys, values] = packr.unpack(bytes) as [string[], string[]];
  for (let i = 0; i < keys.length; i++) state.set(keys[i]!, BigInt(values[i]!));
  return state;
}

export function usageStateFromEntries(entries: readonly UsageStateEntry[]): UsageState {
  return new Map(entries.map((e) => [usageStateKey(e.customerId, e.meterId, e.periodStart), BigInt(e.quantityNanos)]));
}
