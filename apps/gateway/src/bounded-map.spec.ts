import { describe, expect, it } from '@jest/globals';
import { BoundedMap } from './bounded-map.js';

describe(BoundedMap.name, () => {
  it('should evict the key set longest ago once the bound is reached, round after round', () => {
    const sut = new BoundedMap<string, number>(3);
    for (let i = 0; i < 7; i++) sut.set(`k${i}`, i);

    expect([...sut.keys()]).toEqual(['k4', 'k5', 'k6']);
  });

  it('should keep a key set again in its place, with the new value', () => {
    const sut = new BoundedMap<string, number>(2);
    sut.set('a', 1);
    sut.set('b', 2);
    sut.set('a', 3);
    sut.set('c', 4);

    expect([...sut.entries()]).toEqual([
      ['b', 2],
      ['c', 4],
    ]);
  });

  it('should never hold more than its bound, keys deleted and set again included', () => {
    const sut = new BoundedMap<string, number>(4);
    for (let i = 0; i < 100; i++) {
      sut.set(`k${i % 6}`, i);
      if (i % 3 === 0) sut.delete(`k${(i + 1) % 6}`);
      expect(sut.size).toBeLessThanOrEqual(4);
    }
  });
});
