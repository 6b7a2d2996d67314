import { describe, expect, it } from '@jest/globals';
import { hashPassword } from '#security';
import { PasswordHasher } from './password-hasher.js';

describe(PasswordHasher.name, () => {
  const sut = new PasswordHasher();

  describe('verify', () => {
    it('should accept the password of a stored scrypt hash and refuse another', async () => {
      const stored = await hashPassword('correct horse');

      await expect(sut.verify('correct horse', stored)).resolves.toBe(true);
      await expect(sut.verify('correct horsE', stored)).resolves.toBe(false);
    });
  });

  describe('verifyNothing', () => {
    it('should refuse every password, the empty one included', async () => {
      await sut.onModuleInit();

      await expect(sut.verifyNothing('demo')).resolves.toBe(false);
      await expect(sut.verifyNothing('')).resolves.toBe(false);
    });

    it('should spend the time of a real verification (one scrypt with the same parameters)', async () => {
      await sut.onModuleInit();
      const stored = await hashPassword('demo');
      const time = async (run: () => Promise<boolean>) => {
        const started = performance.now();
        for (let i = 0; i < 5; i++) await run();
        return performance.now() - started;
      };

      const real = await time(() => sut.verify('wrong', stored));
      const dummy = await time(() => sut.verifyNothing('wrong'));

      // A generous bound on a busy machine: the point is "one scrypt, not none"; none would be ~1000x faster.
      expect(dummy).toBeGreaterThan(real / 10);
    });
  });
});
