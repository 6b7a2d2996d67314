import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { OutboundNetwork } from '#contracts';

@Entity({ schema: 'user_data', name: 'tenants' })
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text', unique: true })
  slug!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Which addresses the tenant's outbound calls may reach (checked by a constraint: see the migration). */
  @Column({ name: 'outbound_network', type: 'text', default: 'public' })
  outboundNetwork!: OutboundNetwork;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
