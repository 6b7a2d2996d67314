import { Inject, Injectable } from '@nestjs/common';
import { HandoverError, type UserProfile, type VerifyPasswordRequest } from '#contracts';
import { PasswordHasher } from './password-hasher.js';
import { UserCredentialsRepository } from './user-credentials.repository.js';

/** Checks a login and password against the tenant's local users (the identity source `password`). */
@Injectable()
export class LocalPasswordService {
  constructor(
    @Inject(UserCredentialsRepository) private readonly users: UserCredentialsRepository,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
  ) {}

  /**
   * Unknown login, user without a local password, wrong password: one error, and one scrypt run on every
   * path, so neither the answer nor its timing tells which it was.
   */
  async verify(request: VerifyPasswordRequest, requestId?: string): Promise<UserProfile> {
    const found = await this.users.findByLogin(request.tenantId, request.login, requestId);
    const matches = found?.passwordHash
      ? await this.passwords.verify(request.password, found.passwordHash)
      : await this.passwords.verifyNothing(request.password);
    if (!found || !matches) throw new HandoverError('unauthorized', 'invalid login or password');
    return found.user;
  }
}
