import { createServer } from 'node:net';

export {
  isListening,
  postgresUrl,
  probeServices,
  Services,
  START_COMMANDS,
  uniqueName,
  type ServiceName,
} from './integration.global-setup.js';

/** A TCP port nobody listens on right now (for servers the tests start). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A port that refuses connections (for "service unreachable" tests): a free port nobody will bind. */
export const closedPort = freePort;
