export * from './services.js';
export * from './run-env.js';
export * from './automock.js';
