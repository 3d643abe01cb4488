/**
 * How a route learns its tenant: from the Authorization header, through the
 * ingest tier's API-key authenticator (wired in cli/single-node.ts). Routes
 * outside ingest depend on this type only, not on ingest.
 */
import type { ApiError } from '../schemas/errors.ts';

export type TenantResolution = { ok: true; tenantId: string } | { ok: false; status: number; error: ApiError };

export type TenantResolver = (authorization: string) => Promise<TenantResolution>;
