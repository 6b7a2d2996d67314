import { IsString, Matches } from 'class-validator';
import { TENANT_SLUG_PATTERN } from '../tenant-slug.js';

export class GetTenantRequest {
  @IsString()
  @Matches(TENANT_SLUG_PATTERN, { message: 'slug must be a tenant slug' })
  slug!: string;
}

/**
 * Which addresses the tenant's outbound calls (webhooks, custom identity providers) may reach. `public` refuses
 * loopback, private, link-local and metadata addresses (SSRF); `loopback` also allows 127.0.0.0/8 and ::1 (a
 * demo or a test); `private` also allows RFC 1918 / ULA networks. Link-local and metadata addresses are never allowed.
 */
export const OutboundNetworks = ['public', 'loopback', 'private'] as const;
export type OutboundNetwork = (typeof OutboundNetworks)[number];

export interface TenantReply {
  id: string;
  slug: string;
  name: string;
  outboundNetwork: OutboundNetwork;
}
