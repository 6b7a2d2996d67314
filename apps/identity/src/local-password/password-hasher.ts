import { Injectable, type OnModuleInit } from '@nestjs/common';
import { hashPassword, randomToken, verifyPassword } from '#security';

/** scrypt behind an injectable, so the service's paths can be tested without spending scrypt's time. */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummyHash?: Promise<string>;

  /** Computes the stand-in hash at start, so the first unknown login costs no more than later ones. */
  async onModuleInit(): Promise<void> {
    await this.dummy();
  }

  verify(password: string, storedHash: string): Promise<boolean> {
    return verifyPassword(password, storedHash);
  }

  /**
   * Spends the time of one real verification and answers `false`: run when there is no hash to check (unknown
   * user, user without a local password), so the answer's timing does not tell whether the login exists.
   */
  async verifyNothing(password: string): Promise<false> {
    await verifyPassword(password, await this.dummy());
    return false;
  }

  /** A hash of a random password nobody knows, with the same scrypt parameters as real hashes. */
  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(randomToken());
    return this.dummyHash;
  }
}
