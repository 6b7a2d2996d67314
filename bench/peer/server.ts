// The peer's process. PEER_MODE=memory: one process, the large in-memory adapter. PEER_MODE=cluster: a
// node:cluster primary and two workers sharing a Redis adapter (the peer's faster set-up on 2 cores).
// PORT: the provider (POST /token); CONTROL_PORT: `GET /ready`, `POST /mint?n=&accounts=` (codes as a JSON array) and
// `POST /reset` (empties the adapter's store), served by the one process (memory) or by worker 1 (cluster). The
// provider's modules load in the serving processes only, so a cluster primary stays a bare primary.
// PEER_CONSUME=upstream (cluster only) swaps in the upstream example's non-atomic consume, for bench:race.
import cluster from 'node:cluster';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { JWK } from 'oidc-provider';

const mode = process.env.PEER_MODE ?? 'memory';
const port = Number(process.env.PORT ?? 3900);
const controlPort = Number(process.env.CONTROL_PORT ?? 3901);
const WORKERS = 2;

function signingJwk(): JWK {
  if (process.env.PEER_JWK) return JSON.parse(process.env.PEER_JWK) as JWK;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'ES256', use: 'sig' } as JWK;
}

async function serve(withControl: boolean, isReady: () => boolean): Promise<void> {
  const { createProvider, mintCodes } = await import('./provider.js');
  const { Adapter, reset } =
    mode === 'cluster'
      ? await (
          await import('./redis-adapter.js')
        ).createRedisAdapter(
          process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
          process.env.REDIS_PREFIX ?? 'bench_peer:',
          process.env.PEER_CONSUME === 'upstream' ? 'upstream' : 'atomic',
        )
      : (await import('./memory-adapter.js')).createMemoryAdapter();
  const provider = createProvider(`http://127.0.0.1:${port}`, Adapter, signingJwk());
  await new Promise<void>((resolve) => provider.listen(port, '127.0.0.1', resolve));
  if (!withControl) return;
  createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/ready') {
      res.writeHead(isReady() ? 200 : 503).end();
    } else if (url.pathname === '/mint' && req.method === 'POST') {
      const n = Math.min(Number(url.searchParams.get('n') ?? 1000), 500_000);
      const accounts = Math.min(Number(url.searchParams.get('accounts') ?? 64), n);
      mintCodes(provider, n, accounts).then(
        (codes) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(codes)),
        (err: unknown) => res.writeHead(500).end(String(err instanceof Error ? err.stack : err)),
      );
    } else if (url.pathname === '/reset' && req.method === 'POST') {
      Promise.resolve(reset()).then(
        () => res.writeHead(204).end(),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else {
      res.writeHead(404).end();
    }
  }).listen(controlPort, '127.0.0.1');
}

if (mode === 'cluster' && cluster.isPrimary) {
  // One key for every worker, so a token from either verifies against the one JWKS.
  const jwk = JSON.stringify(signingJwk());
  let listening = 0;
  for (let i = 0; i < WORKERS; i++) {
    const worker = cluster.fork({ PEER_JWK: jwk, PEER_WORKER: String(i + 1) });
    worker.on('listening', (address) => {
      if (address.port !== port || ++listening < WORKERS) return;
      for (const w of Object.values(cluster.workers ?? {})) w?.send('all-listening');
    });
  }
  cluster.on('exit', (worker, code, signal) => {
    process.stderr.write(`peer worker ${worker.id} exited (${signal ?? code})\n`);
    process.exitCode = 1;
  });
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(), 3000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else if (mode === 'cluster') {
  let ready = false;
  process.on('message', (m) => {
    if (m === 'all-listening') ready = true;
  });
  process.once('SIGTERM', () => process.exit(0));
  await serve(process.env.PEER_WORKER === '1', () => ready);
} else {
  process.once('SIGTERM', () => process.exit(0));
  await serve(true, () => true);
}
