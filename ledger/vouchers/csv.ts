/**
 * Printable CSV of vouchers (RFC 4180, CRLF) for mail-merging onto cards:
 * one row per voucher with its code and human-readable terms. Pure.
 * Cells that a spreadsheet would run as a formula (= + - @ first) are
 * prefixed with an apostrophe.
 */
export const VOUCHER_CSV_COLUMNS = [
  'serial', 'code', 'profile', 'price', 'currency', 'data', 'time', 'validity', 'rate_limit', 'shared_users', 'status', 'expires_at', 'batch_id', 'voucher_id',
] as const;

export interface CsvVoucher {
  serial: number;
  code: string;
  profileName: string;
  priceMicros: bigint;
  currency: string;
  dataQuotaBytes: bigint | null;
  timeQuotaSeconds: bigint | null;
  validitySeconds: bigint;
  rateLimit: string | null;
  sharedUsers: number;
  status: string;
  expiresAt: Date | null;
  batchId: string;
  id: string;
}

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function csvLine(cells: string[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

/** Micro-units as a decimal amount: whole units, or at least two decimals when there is a fraction. */
export function formatMicros(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  const whole = abs / 1_000_000n;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction.padEnd(2, '0')}`;
}

const BYTE_UNITS: [bigint, string][] = [[1024n ** 4n, 'TB'], [1024n ** 3n, 'GB'], [1024n ** 2n, 'MB'], [1024n, 'KB']];

/** Binary units, as RouterOS and printed hotspot cards count them (1 GB = 1024 MB). Exact or in bytes. */
export function formatBytes(bytes: bigint | null): string {
  if (bytes === null) return 'unlimited';
  for (const [size, unit] of BYTE_UNITS) if (bytes >= size && bytes % size === 0n) return `${bytes / size} ${unit}`;
  return `${bytes} B`;
}

const DURATION_UNITS: [bigint, string, string][] = [[86_400n, 'day', 'days'], [3_600n, 'hour', 'hours'], [60n, 'minute', 'minutes']];

export function formatDuration(seconds: bigint | null): string {
  if (seconds === null) return 'unlimited';
  for (const [size, one, many] of DURATION_UNITS) if (seconds >= size && seconds % size === 0n) return `${seconds / size} ${seconds === size ? one : many}`;
  return `${seconds} ${seconds === 1n ? 'second' : 'seconds'}`;
}

export function voucherCsvHeader(): string {
  return csvLine([...VOUCHER_CSV_COLUMNS]);
}

export function voucherCsvLine(v: CsvVoucher): string {
  return csvLine([
    String(v.serial), v.code, v.profileName, formatMicros(v.priceMicros), v.currency, formatBytes(v.dataQuotaBytes),
    formatDuration(v.timeQuotaSeconds), formatDuration(v.validitySeconds), v.rateLimit ?? '', String(v.sharedUsers), v.status,
    v.expiresAt ? v.expiresAt.toISOString() : '', v.batchId, v.id,
  ]);
}
