/**
 * CSV export of vouchers with their codes, page by page (bounded memory), with
 * progress for large batches. The caller decides where the text goes (an HTTP
 * body, a file, stdout).
 */
import { eq } from 'drizzle-orm';
import { schema, type Database } from '../../platform/postgres.ts';
import { voucherCsvHeader, voucherCsvLine } from './csv.ts';
import { countVouchers, voucherRowsWithCodes, type VoucherFilter } from './queries.ts';

export const EXPORT_PAGE_SIZE = 1000;

export interface ExportOptions {
  pageSize?: number;
  /** Called after each page: (rows written, total rows when the export started). */
  onProgress?: (written: number, total: number) => void;
}

/** Yields the header, then one chunk of CSV lines per page. */
export async function* exportVouchersCsv(db: Database, tenantId: string, filter: VoucherFilter, options: ExportOptions = {}): AsyncGenerator<string> {
  const total = await countVouchers(db, tenantId, filter);
  const p = schema.voucherProfiles;
  const profiles = await db.select({ id: p.id, name: p.name }).from(p).where(eq(p.tenantId, tenantId));
  const profileNames = new Map(profiles.map((row) => [row.id, row.name]));
  yield voucherCsvHeader();
  let written = 0;
  for await (const rows of voucherRowsWithCodes(db, tenantId, filter, options.pageSize ?? EXPORT_PAGE_SIZE)) {
    let chunk = '';
    for (const row of rows) chunk += voucherCsvLine({ ...row, profileName: profileNames.get(row.profileId) ?? '' });
    written += rows.length;
    yield chunk;
    // Vouchers generated while exporting can push the count past the starting total.
    options.onProgress?.(written, Math.max(total, written));
  }
}
