import { Inject, Injectable, Logger } from '@nestjs/common';
import { HandoverError, type CreatedTenantReply, type CreateTenantRequest, type TenantReply } from '#contracts';
import { RpcClient } from '#messaging';
import { randomToken, SecretHasher } from '#security';
import { isUniqueViolation } from '../database-errors.js';
import { TenantsRepository } from './tenants.repository.js';

@Injectable()
export class TenantsService {
  private readonly logger = new Logger('Tenants');

  constructor(
    @Inject(TenantsRepository) private readonly tenants: TenantsRepository,
    @Inject(SecretHasher) private readonly hasher: SecretHasher,
    @Inject(RpcClient) private readonly rpc: RpcClient,
  ) {}

  async get(slug: string): Promise<TenantReply> {
    const tenant = await this.tenants.findBySlug(slug);
    if (!tenant) throw new HandoverError('not_found', 'no such tenant');
    return { id: tenant.id, slug: tenant.slug, name: tenant.name, outboundNetwork: tenant.outboundNetwork };
  }

  /**
   * 1. a fresh 256-bit host key, of which only the keyed hash is stored;
   * 2. the tenant and the key in one transaction (a taken slug is `conflict`, by the UNIQUE constraint);
   * 3. `tenant.changed`, so every gateway replica forgets what it cached under the slug.
   * The key is in the reply this once and nowhere else.
   */
  async create(request: CreateTenantRequest, requestId?: string): Promise<CreatedTenantReply> {
    const hostKey = randomToken(32);
    let created;
    try {
      created = await this.tenants.createWithHostKey(
        request.slug,
        request.name,
        request.outboundNetwork ?? 'public',
        this.hasher.hash(hostKey),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new HandoverError('conflict', 'a tenant with this slug exists', { cause: err });
      throw err;
    }
    // The tenant exists whatever happens now: a lost event must not lose the host key with the reply.
    await this.rpc
      .publish('tenant.changed', { tenantId: created.id, slug: created.slug }, requestId)
      .catch((err: unknown) => {
        this.logger.warn(`tenant.changed for ${created.slug} not published: ${String(err)}`);
      });
    return { id: created.id, slug: created.slug, name: created.name, hostKey };
  }
}
