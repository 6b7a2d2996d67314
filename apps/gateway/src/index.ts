// The gateway's public surface, for the embedded launcher and the compose check (test/unit).
export { GatewayModule, type GatewayDeps } from './gateway.module.js';
export { GatewayOptions } from './gateway.options.js';
export { serveOpenApi } from './openapi.js';
export { configureGateway } from './http/configure-gateway.js';
export { loadGatewayConfig, type GatewayConfig } from './config/gateway.env.js';
