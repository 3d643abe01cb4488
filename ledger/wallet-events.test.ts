/** Which wallet event a balance move calls for (pure rule, table-driven). */
import { describe, expect, it } from 'vitest';
import { walletEventType } from './wallet-events.ts';

describe('walletEventType', () => {
  const cases: { name: string; previous: bigint; available: bigint; threshold: bigint; expected: string | undefined }[] = [
    { name: 'depleted when the balance reaches zero', previous: 500n, available: 0n, threshold: 0n, expected: 'wallet.depleted' },
    { name: 'depleted rather than low when one move crosses both', previous: 5_000n, available: 0n, threshold: 1_000n, expected: 'wallet.depleted' },
    { name: 'low_balance when crossing below the threshold', previous: 1_000n, available: 999n, threshold: 1_000n, expected: 'wallet.low_balance' },
    { name: 'nothing while staying below the threshold (it fired on the way down)', previous: 900n, available: 800n, threshold: 1_000n, expected: undefined },
    { name: 'nothing without a threshold until zero', previous: 900n, available: 1n, threshold: 0n, expected: undefined },
    { name: 'nothing when an empty wallet stays empty', previous: 0n, available: 0n, threshold: 1_000n, expected: undefined },
    { name: 'nothing on the way up', previous: 10n, available: 5_000n, threshold: 1_000n, expected: undefined },
  ];
  it.each(cases)('$name', ({ previous, available, threshold, expected }) => {
    expect(walletEventType(previous, available, threshold)).toBe(expected);
  });
});
