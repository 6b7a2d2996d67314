export * from './constant-equals.js';
export * from './keys.js';
