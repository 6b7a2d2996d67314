import { hash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets in time independent of where they differ, and of their lengths: both sides are hashed
 * to 32 bytes first (`timingSafeEqual` itself throws on unequal lengths).
 */
export function constantEquals(a: string | Buffer, b: string | Buffer): boolean {
  const ha = hash('sha256', a, 'buffer');
  const hb = hash('sha256', b, 'buffer');
  return timingSafeEqual(ha, hb) && Buffer.byteLength(a) === Buffer.byteLength(b);
}
