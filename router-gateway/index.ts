/** The router gateway's public module (router-gateway/README.md). */
import type { Config } from '../platform/config.ts';
import type { GatewayOptions } from './gateway.ts';

export { startRouterGateway, type GatewayDeps, type GatewayOptions, type RouterGateway } from './gateway.ts';
export { registerRouterRoutes, type RouterRouteDeps } from './http-routes.ts';
export { RouterRegistry, parseRouterInput, type RouterView } from './registry.ts';
export { SecretBox } from './secret-box.ts';
export { HOTSPOT_USAGE_EVENT_TYPE } from './events.ts';

export function gatewayOptionsFromConfig(config: Config): GatewayOptions {
  return {
    host: config.radiusHost,
    authPort: config.radiusAuthPort,
    acctPort: config.radiusAcctPort,
    interimIntervalSeconds: config.radiusInterimIntervalSeconds,
    requireMessageAuthenticator: config.radiusRequireMessageAuthenticator === 'true',
    inFlightPacketsMax: config.radiusInFlightPacketsMax,
    secretKeyBase64: config.routerSecretKey,
    healthIntervalMs: 30_000,
    sweepIntervalMs: 5_000,
    groupIdPrefix: 'tollgate-router-gateway',
  };
}
