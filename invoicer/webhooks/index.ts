/** Reusable signed webhook delivery (README: invoicer/README.md "Webhooks"). Knows nothing about invoices. */
export {
  enqueueWebhookDeliveries, deliverDueWebhooks, redeliverWebhook, createWebhookEndpoint, backoffDelayMs, deadLetterCount,
  WEBHOOK_ATTEMPTS_MAX_DEFAULT, WEBHOOK_BACKOFF_DEFAULT,
  type WebhookEvent, type BackoffPolicy, type DeliveryOptions, type DeliveryPassResult, type WebhookEndpointInput,
} from './deliveries.ts';
export { signPayload, verifySignature, SIGNATURE_HEADER, type SignatureCheck } from './signature.ts';
