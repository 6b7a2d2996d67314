import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { LaunchMode } from '#contracts';

/** A vendor: a confidential OAuth client of one tenant, with its plugin and the vendor's registration. */
@Entity({ schema: 'user_data', name: 'vendors' })
export class VendorEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Keyed hash of the client secret (`SecretHasher`); the secret itself is shown once and never stored. */
  @Column({ name: 'secret_hash', type: 'text' })
  secretHash!: string;

  @Column({ name: 'plugin_urls', type: 'jsonb' })
  pluginUrls!: string[];

  @Column({ name: 'allowed_origins', type: 'jsonb' })
  allowedOrigins!: string[];

  @Column({ name: 'redirect_uris', type: 'jsonb' })
  redirectUris!: string[];

  @Column({ type: 'jsonb' })
  config!: Record<string, unknown>;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ name: 'pkce_required', type: 'boolean' })
  pkceRequired!: boolean;

  @Column({ name: 'launch_mode', type: 'text' })
  launchMode!: LaunchMode;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
