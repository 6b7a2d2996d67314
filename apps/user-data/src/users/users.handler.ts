import { Controller, Inject } from '@nestjs/common';
import type {
  CreatedUserReply,
  CreateUserRequest,
  GetUserCredentialsRequest,
  ResolveUserRequest,
  UserCredentialsReply,
  UserProfile,
} from '#contracts';
import { HandleRequest } from '#messaging';
import { UsersService } from './users.service.js';

@Controller()
export class UsersHandler {
  constructor(@Inject(UsersService) private readonly users: UsersService) {}

  @HandleRequest('user-data.user.resolve')
  resolve(request: ResolveUserRequest): Promise<UserProfile> {
    return this.users.resolve(request.tenantId, request.user);
  }

  @HandleRequest('user-data.user.credentials')
  credentials(request: GetUserCredentialsRequest): Promise<UserCredentialsReply> {
    return this.users.credentials(request.tenantId, request.login);
  }

  @HandleRequest('user-data.user.create')
  create(request: CreateUserRequest): Promise<CreatedUserReply> {
    return this.users.create(request);
  }
}
