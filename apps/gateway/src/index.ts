// The gateway's public surface for the embedded launcher; nothing else imports an app.
export { GatewayModule, type GatewayDeps } from './gateway.module.js';
export { GatewayOptions } from './gateway.options.js';
export { serveOpenApi } from './openapi.js';
export { publicBaseUrl } from './config/gateway.env.js';
