import { Inject, Injectable } from '@nestjs/common';
import { HandoverError, type UserCredentialsReply } from '#contracts';
import { RpcClient } from '#messaging';

/** A tenant's local users, as the user-data app holds them, over the bus. */
@Injectable()
export class UserCredentialsRepository {
  constructor(@Inject(RpcClient) private readonly rpc: RpcClient) {}

  /** The user's profile and password hash, or `null` for a login unknown in the tenant. Other failures pass. */
  async findByLogin(tenantId: string, login: string, requestId?: string): Promise<UserCredentialsReply | null> {
    try {
      return await this.rpc.request('user-data.user.credentials', { tenantId, login }, requestId);
    } catch (err) {
      if (err instanceof HandoverError && err.code === 'not_found') return null;
      throw err;
    }
  }
}
