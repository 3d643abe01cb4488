/**
 * The client's bounded buffer: events waiting to be sent (FIFO) plus a count
 * of events in batches being delivered. The bound covers both, so memory is
 * bounded however slow the server is. Pure: no timers, no I/O.
 */
import type { UsageEvent } from '../schemas/event.ts';

/**
 * What `ingest()` does when the buffer holds `bufferEventsMax` events:
 * - `throw`: refuse the new event with `TG_SDK_BUFFER_FULL` (the caller decides; nothing is lost silently);
 * - `drop-oldest`: drop the oldest event not yet sent, keep the new one;
 * - `drop-newest`: drop the new event.
 * Dropped events are reported to `onDropped`.
 */
export type OverflowPolicy = 'throw' | 'drop-oldest' | 'drop-newest';

export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['throw', 'drop-oldest', 'drop-newest'];

export interface Queued {
  /** Position in ingest order; `flush()` waits for every seq below the one it saw. */
  seq: number;
  event: UsageEvent;
}

export type OfferResult = { kind: 'queued' } | { kind: 'dropped'; dropped: UsageEvent } | { kind: 'full' };

export class EventBuffer {
  private items: Queued[] = [];
  private head = 0;
  private seqNext = 0;
  private inFlightCount = 0;

  constructor(readonly eventsMax: number, readonly overflow: OverflowPolicy) {
    if (!Number.isInteger(eventsMax) || eventsMax < 1) throw new RangeError(`eventsMax must be a positive integer, got ${eventsMax}`);
  }

  get queued(): number {
    return this.items.length - this.head;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  get held(): number {
    return this.queued + this.inFlightCount;
  }

  get hasRoom(): boolean {
    return this.held < this.eventsMax;
  }

  /** The seq the next offered event gets. */
  get nextSeq(): number {
    return this.seqNext;
  }

  /** Seq of the oldest event not yet sent, if any. */
  get headSeq(): number | undefined {
    return this.items[this.head]?.seq;
  }

  offer(event: UsageEvent): OfferResult {
    if (this.hasRoom) {
      this.push(event);
      return { kind: 'queued' };
    }
    // Events already sent cannot be taken back, so drop-oldest falls back to dropping the new event.
    if (this.overflow === 'drop-newest' || (this.overflow === 'drop-oldest' && this.queued === 0)) return { kind: 'dropped', dropped: event };
    if (this.overflow === 'throw') return { kind: 'full' };
    const oldest = this.items[this.head]!;
    this.head += 1;
    this.push(event);
    return { kind: 'dropped', dropped: oldest.event };
  }

  /** Moves up to `countMax` of the oldest queued events into flight. */
  take(countMax: number): Queued[] {
    const taken = this.items.slice(this.head, this.head + countMax);
    this.head += taken.length;
    this.inFlightCount += taken.length;
    this.compact();
    return taken;
  }

  /** `count` in-flight events are done with (delivered, rejected or failed). */
  settle(count: number): void {
    if (count > this.inFlightCount) throw new Error(`settling ${count} events but only ${this.inFlightCount} are in flight`);
    this.inFlightCount -= count;
  }

  /** Empties the queue (not the in-flight events), for a close that timed out or a process exit. */
  drainQueued(): UsageEvent[] {
    const drained = this.items.slice(this.head).map((q) => q.event);
    this.items = [];
    this.head = 0;
    return drained;
  }

  private push(event: UsageEvent): void {
    this.items.push({ seq: this.seqNext, event });
    this.seqNext += 1;
    this.compact();
  }

  /** Drops consumed slots once they are most of the array, so taking stays O(batch), not O(buffer). */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
