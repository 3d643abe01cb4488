import { describe, expect, it } from 'vitest';
import type { UsageEvent } from '../schemas/event.ts';
import { EventBuffer, type OverflowPolicy } from './event-buffer.ts';

function event(id: string): UsageEvent {
  return { specversion: '1.0', id, source: 'test', type: 'api_request', subject: 'cust_1' };
}

/** A buffer of 3 with e1 in flight and e2, e3 queued: full. */
function fullBuffer(policy: OverflowPolicy): EventBuffer {
  const buffer = new EventBuffer(3, policy);
  for (const id of ['e1', 'e2', 'e3']) buffer.offer(event(id));
  buffer.take(1);
  return buffer;
}

describe('EventBuffer', () => {
  const cases: { policy: OverflowPolicy; result: string; dropped?: string; queued: string[]; why: string }[] = [
    { policy: 'throw', result: 'full', queued: ['e2', 'e3'], why: 'the caller is told and decides' },
    { policy: 'drop-newest', result: 'dropped', dropped: 'e4', queued: ['e2', 'e3'], why: 'the new event is the one lost' },
    { policy: 'drop-oldest', result: 'dropped', dropped: 'e2', queued: ['e3', 'e4'], why: 'the oldest unsent event makes room; e1 is already sent' },
  ];
  it.each(cases)('when full, $policy → $result ($why)', ({ policy, result, dropped, queued }) => {
    const buffer = fullBuffer(policy);
    const offered = buffer.offer(event('e4'));
    expect(offered.kind).toBe(result);
    if (dropped) expect(offered).toMatchObject({ dropped: { id: dropped } });
    expect(buffer.take(10).map((q) => q.event.id)).toEqual(queued);
    expect(buffer.held).toBe(3);
  });

  it('drop-oldest drops the new event when every held event is already in flight', () => {
    const buffer = new EventBuffer(2, 'drop-oldest');
    buffer.offer(event('e1'));
    buffer.offer(event('e2'));
    buffer.take(2);
    expect(buffer.offer(event('e3'))).toEqual({ kind: 'dropped', dropped: event('e3') });
  });

  it('counts in-flight events against the bound until they settle', () => {
    const buffer = new EventBuffer(2, 'throw');
    buffer.offer(event('e1'));
    buffer.offer(event('e2'));
    expect(buffer.take(5)).toHaveLength(2);
    expect(buffer.hasRoom).toBe(false);
    buffer.settle(1);
    expect(buffer.hasRoom).toBe(true);
    expect(() => buffer.settle(2)).toThrow(/only 1 are in flight/);
  });

  it('numbers events in ingest order across compaction', () => {
    const buffer = new EventBuffer(5000, 'throw');
    for (let i = 0; i < 3000; i++) buffer.offer(event(`e${i}`));
    expect(buffer.take(2500).at(-1)?.seq).toBe(2499);
    expect(buffer.headSeq).toBe(2500);
    expect(buffer.take(1)[0]).toMatchObject({ seq: 2500, event: { id: 'e2500' } });
    expect(buffer.queued).toBe(499);
  });
});
