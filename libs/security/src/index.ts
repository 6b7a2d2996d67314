export * from './constant-equals.js';
export * from './keys.js';
export * from './jws.js';
export * from './outbound-guard.js';
export * from './standard-webhooks.js';
