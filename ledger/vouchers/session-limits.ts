/**
 * What a router must enforce for a login with an active voucher, in the terms
 * of the RADIUS Access-Accept the gateway will send: `Session-Timeout` (the
 * smaller of the time quota left and the validity left), `Mikrotik-Total-Limit`
 * + `Mikrotik-Total-Limit-Gigawords` (data left, split into low 32 bits and
 * 4 GiB units) and `Mikrotik-Rate-Limit`. Pure.
 */
export interface QuotaState {
  dataQuotaBytes: bigint | null;
  dataUsedBytes: bigint;
  timeQuotaSeconds: bigint | null;
  timeUsedSeconds: bigint;
  expiresAt: Date | null;
  rateLimit: string | null;
  sharedUsers: number;
}

export interface SessionLimits {
  /** null = no limit from the voucher. */
  sessionTimeoutSeconds: number | null;
  dataRemainingBytes: bigint | null;
  /** Low 32 bits of the data left (`Mikrotik-Total-Limit`). */
  totalLimit: number | null;
  /** Data left in units of 2^32 bytes (`Mikrotik-Total-Limit-Gigawords`). */
  totalLimitGigawords: number | null;
  rateLimit: string | null;
  sharedUsers: number;
}

const TWO_32 = 2n ** 32n;

function remaining(quota: bigint | null, used: bigint): bigint | null {
  if (quota === null) return null;
  return quota > used ? quota - used : 0n;
}

export function quotaExhausted(state: Pick<QuotaState, 'dataQuotaBytes' | 'dataUsedBytes' | 'timeQuotaSeconds' | 'timeUsedSeconds'>): boolean {
  return (state.dataQuotaBytes !== null && state.dataUsedBytes >= state.dataQuotaBytes) ||
    (state.timeQuotaSeconds !== null && state.timeUsedSeconds >= state.timeQuotaSeconds);
}

export function sessionLimits(state: QuotaState, now: Date): SessionLimits {
  const dataLeft = remaining(state.dataQuotaBytes, state.dataUsedBytes);
  const timeLeft = remaining(state.timeQuotaSeconds, state.timeUsedSeconds);
  const validityLeft = state.expiresAt === null ? null : BigInt(Math.max(0, Math.floor((state.expiresAt.getTime() - now.getTime()) / 1000)));
  const timeout = timeLeft === null ? validityLeft : validityLeft === null ? timeLeft : (timeLeft < validityLeft ? timeLeft : validityLeft);
  return {
    sessionTimeoutSeconds: timeout === null ? null : Number(timeout),
    dataRemainingBytes: dataLeft,
    totalLimit: dataLeft === null ? null : Number(dataLeft % TWO_32),
    totalLimitGigawords: dataLeft === null ? null : Number(dataLeft / TWO_32),
    rateLimit: state.rateLimit,
    sharedUsers: state.sharedUsers,
  };
}
