export * from './app-runner.js';
export * from './shutdown.js';
export * from './distributed-infra.js';
export * from './heap-growth.js';
