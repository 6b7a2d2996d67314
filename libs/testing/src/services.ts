import { readFileSync } from 'node:fs';
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

/**
 * A TCP port nobody listens on right now (for servers the tests and benchmarks start), taken below the kernel's
 * range of ephemeral ports: a port the kernel hands out (`listen(0)`) can be handed out again, as the local port of
 * an outgoing connection (to PostgreSQL, Redis, NATS), before the server that was meant to get it binds it.
 */
export async function freePort(): Promise<number> {
  const lowest = 10_000;
  const below = Math.max(lowest + 1_000, ephemeralRangeStart());
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = lowest + Math.floor(Math.random() * (below - lowest));
    if (await canListen(port)) return port;
  }
  return listenOnAnyPort();
}

function ephemeralRangeStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > 0 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function listenOnAnyPort(): Promise<number> {
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
