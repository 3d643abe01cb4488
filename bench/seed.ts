/**
 * Bench customers: demo-like prepaid USD customers (`bench_cust_00000`, …)
 * with a wallet credit, rated by the demo `tokens` meter. Idempotent: the
 * customer rows and the top-up references are fixed per subject.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { topUpWallet } from '../ledger/index.ts';
import { schema, type Database } from '../platform/postgres.ts';

const CURRENCY = 'USD';
/** $1,000 each: far more than a run debits (≈ $0.02 per event on average, spread over the customers). */
const CREDIT_MICROS = 1_000_000_000n;
const TOP_UPS_IN_FLIGHT = 4;

export async function seedBenchCustomers(db: Database, tenantId: string, subjects: readonly string[]): Promise<void> {
  for (let i = 0; i < subjects.length; i += 500) {
    const chunk = subjects.slice(i, i + 500);
    await db.insert(schema.customers)
      .values(chunk.map((subject) => ({ tenantId, subject, name: `Bench customer ${subject}`, currency: CURRENCY, billingMode: 'prepaid' as const })))
      .onConflictDoNothing();
  }
  const rows: { id: string; subject: string }[] = [];
  for (let i = 0; i < subjects.length; i += 500) {
    rows.push(...await db.select({ id: schema.customers.id, subject: schema.customers.subject }).from(schema.customers)
      .where(and(eq(schema.customers.tenantId, tenantId), inArray(schema.customers.subject, subjects.slice(i, i + 500)))));
  }
  let next = 0;
  await Promise.all(Array.from({ length: TOP_UPS_IN_FLIGHT }, async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      await topUpWallet(db, { tenantId, customerId: row.id, currency: CURRENCY, amountMicros: CREDIT_MICROS, reference: `bench-credit-${row.subject}` });
    }
  }));
}
