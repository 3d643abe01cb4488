/**
 * Errors the SDK hands to its caller. Server codes come from schemas/errors.ts
 * so a caller can switch on the same stable codes the server documents; the
 * SDK adds its own `TG_SDK_*` codes for what happens on the client side.
 */
import type { ErrorCode, EventRejection } from '../schemas/errors.ts';
import type { UsageEvent } from '../schemas/event.ts';

/** Codes raised by the SDK itself, never sent by a server. */
export const SDK_ERROR_CODES = {
  TG_SDK_BUFFER_FULL: 'the client buffer is at bufferEventsMax and the overflow policy is "throw"',
  TG_SDK_CLOSED: 'the client is closed, or was closed before the events were delivered',
  TG_SDK_NETWORK: 'the server could not be reached or the connection broke',
  TG_SDK_TIMEOUT: 'the server did not answer within the timeout',
  TG_SDK_UNEXPECTED_RESPONSE: 'the server answered with a status or body outside the protocol',
  TG_SDK_INTERNAL: 'the SDK failed unexpectedly while delivering (e.g. an event JSON cannot encode, such as a BigInt)',
} as const;

export type SdkErrorCode = keyof typeof SDK_ERROR_CODES;

export type KnownErrorCode = ErrorCode | SdkErrorCode;

/** A newer server may send codes this SDK does not know; they still arrive as strings. */
export type AnyErrorCode = KnownErrorCode | (string & Record<never, never>);

export interface TollgateErrorDetails {
  /** HTTP status, when the error came from an HTTP answer. */
  status?: number;
  /** Whether sending the same events again may succeed. */
  retryable?: boolean;
  /** The server's `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
  field?: string;
  cause?: unknown;
}

export class TollgateError extends Error {
  readonly code: AnyErrorCode;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly field: string | undefined;

  constructor(code: AnyErrorCode, message: string, details: TollgateErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TollgateError';
    this.code = code;
    this.status = details.status;
    this.retryable = details.retryable ?? false;
    this.retryAfterMs = details.retryAfterMs;
    this.field = details.field;
  }
}

/** An event the server (or the SDK's own schema check) refused. Never retried: the same event would be refused again. */
export interface RejectedEvent {
  event: UsageEvent;
  code: AnyErrorCode;
  /** The event field at fault, dotted (`data.tokens`); empty when the whole event is at fault. */
  field: string;
  message: string;
}

/** Events that could not be delivered: retries ran out, or the error was not retryable (401, malformed body…). */
export interface DeliveryFailure {
  events: UsageEvent[];
  error: TollgateError;
  /** Attempts made for these events, the first one included. */
  attempts: number;
}

/** A server rejection as it travels (`{index, code, field, message}`), with `code` widened to what a newer server may send. */
export type WireRejection = Omit<EventRejection, 'code'> & { code: AnyErrorCode };
