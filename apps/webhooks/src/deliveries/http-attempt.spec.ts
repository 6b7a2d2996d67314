import { describe, expect, it } from '@jest/globals';
import { outcomeOf } from './http-attempt.js';

describe(outcomeOf.name, () => {
  it.each([
    [200, 'success'],
    [204, 'success'],
    [299, 'success'],
    [301, 'redirect'],
    [302, 'redirect'],
    [308, 'redirect'],
    [400, 'http_error'],
    [404, 'http_error'],
    [410, 'http_error'],
    [429, 'http_error'],
    [500, 'http_error'],
    [503, 'http_error'],
    [101, 'http_error'],
  ])('should classify %i as %s', (status, outcome) => {
    expect(outcomeOf(status)).toBe(outcome);
  });
});
