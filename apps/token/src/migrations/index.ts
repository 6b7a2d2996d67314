import { SigningKeys1763856000000 } from './1763856000000-signing-keys.js';
import { Outbox1764547200000 } from './1764547200000-outbox.js';
import { OutboxFillfactor1795392000000 } from './1795392000000-outbox-fillfactor.js';

/** Every migration of the token schema, oldest first. */
export const tokenMigrations = [SigningKeys1763856000000, Outbox1764547200000, OutboxFillfactor1795392000000];
