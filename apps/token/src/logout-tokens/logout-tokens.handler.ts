import { Controller, Inject } from '@nestjs/common';
import type { LogoutTokenReply, SignLogoutTokenRequest } from '#contracts';
import { HandleRequest } from '#messaging';
import { LogoutTokensService } from './logout-tokens.service.js';

@Controller()
export class LogoutTokensHandler {
  constructor(@Inject(LogoutTokensService) private readonly tokens: LogoutTokensService) {}

  @HandleRequest('token.logout-token.sign')
  sign(request: SignLogoutTokenRequest): Promise<LogoutTokenReply> {
    return this.tokens.sign(request);
  }
}
