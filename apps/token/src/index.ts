// The token app's public surface, for the embedded launcher and the compose check (test/unit).
export { TokenModule, type TokenDeps } from './token.module.js';
export { GrantMarkerTable } from './codes/grant-marker-table.js';
export { tokenDatabase } from './token.database.js';
export { loadTokenConfig, type TokenConfig } from './config/token.env.js';
export { TokenPolicy } from './token.policy.js';
