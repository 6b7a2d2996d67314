import { Controller, Inject } from '@nestjs/common';
import type { GetJwksRequest, JwksReply } from '#contracts';
import { HandleRequest } from '#messaging';
import { SigningKeysService } from './signing-keys.service.js';

@Controller()
export class JwksHandler {
  constructor(@Inject(SigningKeysService) private readonly keys: SigningKeysService) {}

  @HandleRequest('token.jwks.get')
  jwks(request: GetJwksRequest): Promise<JwksReply> {
    return this.keys.publicJwks(request.tenantId);
  }
}
