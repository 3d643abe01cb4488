/** The invoicer's public module: other services and the CLI use only what is exported here. */
export { runInvoices, type RunOptions, type RunSummary, type RunProgress } from './run.ts';
export { computeInvoice, couponCoversPeriod, periodSpan, type InvoiceComputationInput, type ComputedInvoice } from './compute.ts';
export { finalizeInvoice, recordPayment, refundInvoice, voidInvoice, sweepOverdue, InvoiceError, type PaymentInput, type PaymentResult } from './lifecycle.ts';
export { registerInvoiceRoutes, type InvoiceRouteDeps } from './http-routes.ts';
export { startInvoicerDaemon, type InvoicerDaemon, type InvoicerDaemonOptions } from './daemon.ts';
export { publishInvoiceOutbox, INVOICE_EVENT_TYPES, type InvoiceEvent, type InvoiceEventType } from './events.ts';
export { loadInvoiceDocument } from './document.ts';
export { renderInvoiceHtml } from './html.ts';
export { renderInvoicePdf } from './pdf.ts';
export * from './webhooks/index.ts';
