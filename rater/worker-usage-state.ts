/**
 * The running usage state a rating worker holds for the partitions routed to
 * it (the service pins each partition to one worker). The service names the
 * generation a batch expects; the worker rates on its own copy when it holds
 * that generation, so a batch moves no state bytes. Each batch keeps an undo
 * log of the keys it changed: if the service rates the same batch again (to
 * leave out events rated earlier), the worker first rolls back to the
 * generation the batch started from. A generation it cannot produce — a
 * restarted worker, a commit that failed and was reloaded — is a miss: the
 * service answers it with the state bytes from Postgres.
 */
import { decodeUsageState, type UsageState } from './usage-state.ts';

interface HeldState {
  generation: string;
  state: UsageState;
  /** How to get back to the generation before the last batch. */
  undo?: { generation: string; previous: Map<string, bigint | undefined> };
}

export class WorkerUsageStates {
  private readonly held = new Map<number, HeldState>();

  /** The state of `generation` for the partition (decoding `bytes` when given), or undefined on a miss. */
  acquire(partition: number, generation: string, bytes: Uint8Array | null): UsageState | undefined {
    if (bytes) this.held.set(partition, { generation, state: decodeUsageState(bytes) });
    const held = this.held.get(partition);
    if (!held) return undefined;
    if (held.generation === generation) return held.state;
    if (held.undo?.generation === generation) {
      for (const [key, value] of held.undo.previous) {
        if (value === undefined) held.state.delete(key);
        else held.state.set(key, value);
      }
      held.generation = generation;
      held.undo = undefined;
      return held.state;
    }
    // Neither the expected generation nor one step back: the copy is useless.
    this.held.delete(partition);
    return undefined;
  }

  /** Drops the partition's copy (a batch failed half-way through it): the next batch misses and gets the bytes. */
  forget(partition: number): void {
    this.held.delete(partition);
  }

  /** Records that the batch moved the partition's state from `generation` to `nextGeneration`. */
  advance(partition: number, generation: string, nextGeneration: string, previous: Map<string, bigint | undefined>): void {
    const held = this.held.get(partition);
    if (!held || held.generation !== generation) throw new Error(`usage state of partition ${partition} is not at generation ${generation}`);
    held.generation = nextGeneration;
    held.undo = { generation, previous };
  }
}
