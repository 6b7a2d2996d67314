// Test doubles for unit tests (jest only: `@jest/globals` refuses to load outside jest, so this is not in #testing,
// which benchmarks load too).
export * from './automock.js';
