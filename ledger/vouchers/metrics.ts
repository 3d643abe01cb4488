/** Prometheus metrics of the voucher service (registered on the process registry). */
import { counter, histogram } from '../../platform/metrics.ts';

export const voucherMetrics = {
  actions: counter('tollgate_voucher_actions_total', 'Voucher actions by action and outcome: changed, unchanged, or the refusal code', ['action', 'outcome']),
  generated: counter('tollgate_vouchers_generated_total', 'Vouchers generated'),
  generateSeconds: histogram('tollgate_voucher_generate_seconds', 'Time to generate one batch (one transaction)', [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
  usageReports: counter('tollgate_voucher_usage_reports_total', 'Quota usage reports by outcome: recorded, duplicate, or the refusal code', ['outcome']),
  expired: counter('tollgate_vouchers_expired_total', 'Vouchers expired by the sweep'),
  messages: counter('tollgate_voucher_messages_total', 'Outbox deliveries by outcome: sent, cancelled, retried, dead', ['outcome']),
};
