export * from './constant-equals.js';
export * from './keys.js';
export * from './jws.js';
