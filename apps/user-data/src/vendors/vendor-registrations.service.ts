import { Inject, Injectable } from '@nestjs/common';
import { HandoverError, type CreatedVendorReply, type CreateVendorRequest } from '#contracts';
import { randomToken, SecretHasher } from '#security';
import { isForeignKeyViolation, isUniqueViolation } from '../database-errors.js';
import { checkVendorUrls } from './vendor-urls.js';
import { VendorsRepository } from './vendors.repository.js';

/** The largest configuration a vendor may register (as JSON): it travels with every code. */
export const MAX_VENDOR_CONFIG_BYTES = 8192;

/** Registers vendors (the admin API): the rules beyond the contract's shapes, and the secret shown once. */
@Injectable()
export class VendorRegistrations {
  constructor(
    @Inject(VendorsRepository) private readonly vendors: VendorsRepository,
    @Inject(SecretHasher) private readonly hasher: SecretHasher,
  ) {}

  /**
   * 1. `checkVendorUrls`: plugin and redirect URLs, origins, plugin origins among the allowed ones;
   * 2. a fresh 256-bit client secret, of which only the keyed hash is stored;
   * 3. the insert: a client id taken in the tenant is `conflict` (UNIQUE constraint), a tenant that does not
   *    exist is `not_found` (FOREIGN KEY).
   */
  async create(request: CreateVendorRequest): Promise<CreatedVendorReply> {
    checkVendorUrls(request);
    if (Buffer.byteLength(JSON.stringify(request.config)) > MAX_VENDOR_CONFIG_BYTES) {
      throw new HandoverError('invalid_request', `config must be at most ${MAX_VENDOR_CONFIG_BYTES} bytes of JSON`);
    }
    const clientSecret = randomToken(32);
    try {
      await this.vendors.insert({
        tenantId: request.tenantId,
        clientId: request.clientId,
        name: request.name,
        secretHash: this.hasher.hash(clientSecret),
        pluginUrls: request.pluginUrls,
        redirectUris: request.redirectUris,
        allowedOrigins: request.allowedOrigins,
        config: request.config,
        scopes: request.scopes,
        pkceRequired: request.pkceRequired,
        launchMode: request.launchMode,
      });
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new HandoverError('conflict', 'a vendor with this client_id exists in the tenant', { cause: err });
      }
      if (isForeignKeyViolation(err)) throw new HandoverError('not_found', 'no such tenant', { cause: err });
      throw err;
    }
    return { clientId: request.clientId, clientSecret };
  }
}
