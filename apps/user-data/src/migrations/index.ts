import { Initial1763856000000 } from './1763856000000-initial.js';
import { VendorLaunchMode1763942400000 } from './1763942400000-vendor-launch-mode.js';
import { TenantOutboundNetwork1764547200000 } from './1764547200000-tenant-outbound-network.js';

/** Every migration of the user_data schema, oldest first. */
export const userDataMigrations = [
  Initial1763856000000,
  VendorLaunchMode1763942400000,
  TenantOutboundNetwork1764547200000,
];
