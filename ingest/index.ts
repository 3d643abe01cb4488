/** The ingest tier's public module. */
export { EventProducer, KafkaUnavailableError, OverloadedError, type EventProducerOptions } from './event-producer.ts';
export { registerIngestRoutes, type IngestLimits } from './http-routes.ts';
export { partitionFor } from './partitioner.ts';
export { Authenticator, type AuthMode, type AuthResult, type Principal } from './auth/authenticator.ts';
export { EventRateLimiter } from './auth/rate-limiter.ts';
export { createApiKey, listApiKeys, revokeApiKey, type CreatedApiKey } from './auth/api-keys.ts';
export { acceptEvents, type AcceptDeps, type AcceptOutcome } from './accept-events.ts';
export { registerStreamRoutes, type StreamLimits } from './stream-routes.ts';
