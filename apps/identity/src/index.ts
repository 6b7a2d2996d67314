// The identity app's public surface, for the embedded launcher and the compose check (test/unit).
export { IdentityModule, type IdentityDeps } from './identity.module.js';
export { loadIdentityConfig, type IdentityConfig } from './config/identity.env.js';
