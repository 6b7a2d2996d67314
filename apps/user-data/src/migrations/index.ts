import { Initial1763856000000 } from './1763856000000-initial.js';
import { VendorLaunchMode1763942400000 } from './1763942400000-vendor-launch-mode.js';

/** Every migration of the user_data schema, oldest first. */
export const userDataMigrations = [Initial1763856000000, VendorLaunchMode1763942400000];
