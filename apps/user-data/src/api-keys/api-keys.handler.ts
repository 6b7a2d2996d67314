import { Controller, Inject } from '@nestjs/common';
import type { ApiKeyReply, VerifyApiKeyRequest } from '#contracts';
import { HandleRequest } from '#messaging';
import { ApiKeysService } from './api-keys.service.js';

@Controller()
export class ApiKeysHandler {
  constructor(@Inject(ApiKeysService) private readonly apiKeys: ApiKeysService) {}

  @HandleRequest('user-data.api-key.verify')
  verify(request: VerifyApiKeyRequest): Promise<ApiKeyReply> {
    return this.apiKeys.verify(request.key);
  }
}
