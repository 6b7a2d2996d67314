import { SigningKeys1763856000000 } from './1763856000000-signing-keys.js';

/** Every migration of the token schema, oldest first. */
export const tokenMigrations = [SigningKeys1763856000000];
