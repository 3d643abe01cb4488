import { describe, expect, it } from 'vitest';
import { encodeUsageState } from './usage-state.ts';
import { WorkerUsageStates } from './worker-usage-state.ts';

describe('WorkerUsageStates', () => {
  it('misses until it is given the bytes, then rates on its own copy generation after generation', () => {
    const states = new WorkerUsageStates();
    expect(states.acquire(3, 'a:0', null)).toBeUndefined();
    const state = states.acquire(3, 'a:0', encodeUsageState(new Map([['k', 5n]])))!;
    expect(state.get('k')).toBe(5n);
    state.set('k', 7n);
    states.advance(3, 'a:0', 'a:1', new Map([['k', 5n]]));
    expect(states.acquire(3, 'a:1', null)?.get('k')).toBe(7n);
  });

  it('rolls a batch back when the same batch is rated again from its starting generation', () => {
    const states = new WorkerUsageStates();
    const state = states.acquire(0, 'a:0', encodeUsageState(new Map([['old', 1n]])))!;
    state.set('old', 2n);
    state.set('new', 9n);
    states.advance(0, 'a:0', 'a:1', new Map<string, bigint | undefined>([['old', 1n], ['new', undefined]]));
    const again = states.acquire(0, 'a:0', null)!;
    expect([...again]).toEqual([['old', 1n]]);
  });

  it('refuses a generation it cannot reach (a commit that failed and was reloaded elsewhere) and forgets its copy', () => {
    const states = new WorkerUsageStates();
    states.acquire(1, 'a:0', encodeUsageState(new Map()));
    states.advance(1, 'a:0', 'a:1', new Map());
    expect(states.acquire(1, 'b:0', null)).toBeUndefined();
    expect(states.acquire(1, 'a:1', null)).toBeUndefined();
    expect(() => states.advance(1, 'a:1', 'a:2', new Map())).toThrow();
  });
});
