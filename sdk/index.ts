/**
 * `@tollgate/sdk`: a typed client for Tollgate's ingest and read APIs.
 * Event types come from schemas/event.ts and error codes from schemas/errors.ts.
 */
export { TollgateClient, type TollgateClientOptions, type ClientStats, type DropReason, type ExitEvents } from './client.ts';
export type { EventInput } from './event.ts';
export type { OverflowPolicy } from './event-buffer.ts';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './backoff.ts';
export {
  TollgateError, SDK_ERROR_CODES,
  type AnyErrorCode, type KnownErrorCode, type SdkErrorCode,
  type RejectedEvent, type DeliveryFailure, type WireRejection,
} from './errors.ts';
export type { UsageQuery, UsageTotal, UsageRow, UsageWindowSize, UsageGroupBy, AccessCheck } from './read-api.ts';
export type { Transport, SendOutcome, Encoding } from './transport.ts';
export type { StreamHello } from './ws-transport.ts';
export type { UsageEvent } from '../schemas/event.ts';
export { ERROR_CODES, type ErrorCode } from '../schemas/errors.ts';
