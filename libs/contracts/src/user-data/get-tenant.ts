import { IsString, Matches } from 'class-validator';
import { TENANT_SLUG_PATTERN } from '../tenant-slug.js';

export class GetTenantRequest {
  @IsString()
  @Matches(TENANT_SLUG_PATTERN, { message: 'slug must be a tenant slug' })
  slug!: string;
}

export interface TenantReply {
  id: string;
  slug: string;
  name: string;
}
