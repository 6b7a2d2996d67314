import { Initial1763856000000 } from './1763856000000-initial.js';

/** Every migration of the user_data schema, oldest first. */
export const userDataMigrations = [Initial1763856000000];
