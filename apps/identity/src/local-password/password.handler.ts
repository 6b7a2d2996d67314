import { Controller, Inject } from '@nestjs/common';
import type { UserProfile, VerifyPasswordRequest } from '#contracts';
import { HandleRequest, type BusContext } from '#messaging';
import { LocalPasswordService } from './local-password.service.js';

@Controller()
export class PasswordHandler {
  constructor(@Inject(LocalPasswordService) private readonly passwords: LocalPasswordService) {}

  @HandleRequest('identity.password.verify')
  verify(request: VerifyPasswordRequest, context: BusContext): Promise<UserProfile> {
    return this.passwords.verify(request, context.requestId);
  }
}
