import { IsString, IsUUID, Matches } from 'class-validator';
import { TENANT_SLUG_PATTERN } from '../tenant-slug.js';

export class TenantChanged {
  @IsUUID()
  tenantId!: string;

  @IsString()
  @Matches(TENANT_SLUG_PATTERN)
  slug!: string;
}
