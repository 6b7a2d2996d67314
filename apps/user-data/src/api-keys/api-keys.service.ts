import { Inject, Injectable } from '@nestjs/common';
import { HandoverError, type ApiKeyReply } from '#contracts';
import { constantEquals, SecretHasher } from '#security';
import { ApiKeysRepository } from './api-keys.repository.js';

/**
 * Resolves a host or admin API key. Keys are high-entropy random values, so a keyed hash (HMAC under a key
 * derived from the secret key) is looked up by equality; a stolen table alone neither reveals nor forges keys.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    @Inject(ApiKeysRepository) private readonly keys: ApiKeysRepository,
    @Inject(SecretHasher) private readonly hasher: SecretHasher,
  ) {}

  async verify(key: string): Promise<ApiKeyReply> {
    // The hash is computed for every key, so a malformed or unknown key costs the same as a known one.
    const keyHash = this.hasher.hash(key);
    const found = await this.keys.findByHash(keyHash);
    // The index found the row by equality; the constant-time compare keeps the check itself free of timing.
    if (!found || !constantEquals(keyHash, found.keyHash)) throw invalidApiKey();
    // The table's CHECK ties the two: a host key always has a tenant, an admin key never.
    return { kind: found.kind, tenantId: found.tenantId, label: found.label };
  }
}

/** The one error for every failed key: unknown, revoked or malformed keys are told apart by nobody. */
function invalidApiKey(): HandoverError {
  return new HandoverError('unauthorized', 'invalid API key');
}
