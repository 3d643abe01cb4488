/** The rater's public module. */
export { RaterService, OffsetGapError, type RaterOptions } from './rater-service.ts';
export { registerUsageRoutes } from './http-routes.ts';
export { registerCatalogRoutes } from './catalog-api/routes.ts';
export { checkEntitlement } from './catalog-api/entitlements.ts';
export type { EntitlementAccess } from '../schemas/api.ts';
export { billingPeriodOf } from './usage-state.ts';
export { queryUsage, type UsageQuery, type UsageTotal } from './usage-query.ts';
export { customerBySubject, loadCatalog, type Catalog, type CatalogCustomer } from './catalog.ts';
export { indexCatalog, rateEvents, type LocatedEvent, type RatingResult } from './rate-events.ts';
export { adoptBrokerIncarnation } from './broker-incarnation.ts';
