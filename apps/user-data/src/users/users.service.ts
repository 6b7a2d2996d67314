import { Inject, Injectable } from '@nestjs/common';
import {
  HandoverError,
  type CreatedUserReply,
  type CreateUserRequest,
  type UserCredentialsReply,
  type UserProfile,
} from '#contracts';
import { hashPassword } from '#security';
import { isForeignKeyViolation, isUniqueViolation } from '../database-errors.js';
import type { UserEntity } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class UsersService {
  constructor(@Inject(UsersRepository) private readonly users: UsersRepository) {}

  /**
   * A user the host has authenticated itself, named by login or by id, within the tenant. The login is tried
   * first: it is the name a host knows its users by, and an id is only tried when the value has the shape of one.
   */
  async resolve(tenantId: string, user: string): Promise<UserProfile> {
    const found =
      (await this.users.findByLogin(tenantId, user)) ??
      (UUID.test(user) ? await this.users.findById(tenantId, user) : null);
    if (!found) throw noSuchUser();
    return toProfile(found);
  }

  /** The profile and password hash, for the identity app; only by login (people log in with their login). */
  async credentials(tenantId: string, login: string): Promise<UserCredentialsReply> {
    const found = await this.users.findByLogin(tenantId, login);
    if (!found) throw noSuchUser();
    return { user: toProfile(found), passwordHash: found.passwordHash };
  }

  /**
   * A local user of the tenant (the admin API). The password, when given, is stored as an scrypt hash; a login
   * taken in the tenant is `conflict` (UNIQUE constraint), an unknown tenant `not_found` (FOREIGN KEY).
   */
  async create(request: CreateUserRequest): Promise<CreatedUserReply> {
    const passwordHash = request.password === undefined ? null : await hashPassword(request.password);
    try {
      const id = await this.users.insert({
        tenantId: request.tenantId,
        login: request.login,
        email: request.email ?? null,
        fullName: request.name ?? null,
        passwordHash,
      });
      return { id, login: request.login };
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new HandoverError('conflict', 'a user with this login exists in the tenant', { cause: err });
      }
      if (isForeignKeyViolation(err)) throw new HandoverError('not_found', 'no such tenant', { cause: err });
      throw err;
    }
  }
}

/** The same error for a missing user and another tenant's: lookups never leave the tenant. */
function noSuchUser(): HandoverError {
  return new HandoverError('not_found', 'no such user');
}

function toProfile(user: UserEntity): UserProfile {
  return { id: user.id, login: user.login, email: user.email, name: user.fullName };
}
