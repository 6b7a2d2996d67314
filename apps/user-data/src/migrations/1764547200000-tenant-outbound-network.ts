import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which addresses a tenant's outbound calls (webhooks, custom identity providers) may reach (`OutboundNetworks`
 * in #contracts): `public` by default, so the SSRF guard refuses loopback and private addresses. Existing tenants
 * keep the default; the demo seed makes a new demo tenant `loopback` (it calls the demo on localhost).
 */
export class TenantOutboundNetwork1764547200000 implements MigrationInterface {
  name = 'TenantOutboundNetwork1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE user_data.tenants
         ADD COLUMN outbound_network text NOT NULL DEFAULT 'public'
         CONSTRAINT tenants_outbound_network CHECK (outbound_network IN ('public', 'loopback', 'private'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE user_data.tenants DROP COLUMN outbound_network`);
  }
}
