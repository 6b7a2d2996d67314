import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '#config';
import { loadGatewayConfig } from '../../apps/gateway/src/index.js';
import { loadIdentityConfig } from '../../apps/identity/src/index.js';
import { loadTokenConfig } from '../../apps/token/src/index.js';
import { loadUserDataConfig } from '../../apps/user-data/src/index.js';
import { loadWebhooksConfig } from '../../apps/webhooks/src/index.js';

/**
 * There is no Docker engine where the tests run, so this checks docker-compose.yml against what the apps really
 * accept: each app service's environment, interpolated as `docker compose` would, goes through that app's own
 * config loader. A dropped, misspelt or invalid variable, a healthcheck on the wrong port or a missing
 * `depends_on` fails here with the variable's or service's name.
 */

const root = process.cwd(); // jest runs from the repository root (jest.config.js)
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface HealthcheckSpec {
  test: string[] | string;
}
interface ServiceSpec {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  ports?: Array<string | { target: number; published?: string | number }>;
  expose?: Array<string | number>;
  volumes?: string[];
  healthcheck?: HealthcheckSpec;
  depends_on?: Record<string, { condition: string }> | string[];
  deploy?: { replicas?: number };
  stop_grace_period?: string;
}
interface ComposeFile {
  services: Record<string, ServiceSpec>;
  volumes?: Record<string, unknown>;
}

/** Only what this test reads of an app's loaded configuration. */
interface LoadedConfig {
  port?: number;
  opsPort?: number;
  shutdownTimeoutMs: number;
  nats: { url: string; subjectPrefix: string };
  redis?: { url: string };
  database?: { url: string };
  secretKey?: Buffer;
}

const Apps: Record<string, (env: NodeJS.ProcessEnv) => LoadedConfig> = {
  gateway: loadGatewayConfig,
  token: loadTokenConfig,
  identity: loadIdentityConfig,
  'user-data': loadUserDataConfig,
  webhooks: loadWebhooksConfig,
};
const appNames = Object.keys(Apps);

/** The infrastructure service each configuration section needs, and the port that service listens on. */
const Infrastructure = {
  nats: { service: 'nats', port: 4222 },
  redis: { service: 'redis', port: 6379 },
  database: { service: 'postgres', port: 5432 },
} as const;

/** The operator's environment while interpolating: a valid secret, as the README tells them to set. */
const operatorEnv = { HANDOVER_SECRET_KEY: randomBytes(32).toString('base64url') };

/**
 * Compose's interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`. A variable with neither a value nor a default is an error here (compose would warn and use "").
 */
function interpolate(value: string, vars: Record<string, string | undefined>, where: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced: string | undefined, operator: string | undefined, operand: string | undefined, bare) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare) as string;
      const current = vars[name];
      const set = operator?.startsWith(':') ? current !== undefined && current !== '' : current !== undefined;
      if (set) return current as string;
      if (operator === ':-' || operator === '-') return operand ?? '';
      if (operator === ':?' || operator === '?') throw new Error(`${where}: ${name} is required: ${operand}`);
      throw new Error(`${where}: \${${name}} has no value and no default`);
    },
  );
}

function interpolateAll<T>(node: T, vars: Record<string, string | undefined>, where = ''): T {
  if (typeof node === 'string') return interpolate(node, vars, where) as T;
  if (Array.isArray(node)) return node.map((item, i) => interpolateAll(item, vars, `${where}[${i}]`)) as T;
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => [key, interpolateAll(value, vars, where ? `${where}.${key}` : key)]),
    ) as T;
  }
  return node;
}

function loadCompose(vars: Record<string, string | undefined>): ComposeFile {
  // `merge: true`: the file shares environment blocks through YAML merge keys (`<<: *bus-env`), as compose does.
  return interpolateAll(parse(read('docker-compose.yml'), { merge: true }) as ComposeFile, vars);
}

const compose = loadCompose(operatorEnv);

function envOf(service: string, file = compose): Record<string, string> {
  const environment = file.services[service]?.environment ?? {};
  return Object.fromEntries(
    Object.entries(environment)
      .filter(([, value]) => value !== null)
      .map(([key, value]) => [key, String(value)]),
  );
}

/** The loader's problems for `env` (empty when it accepts it); any other failure propagates. */
function problemsOf(app: string, env: Record<string, string>): string[] {
  try {
    Apps[app](env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

/** What the app makes of `env`: its configuration, or its configuration problems; used to see what it reads. */
function outcome(app: string, env: Record<string, string>): string {
  try {
    return JSON.stringify(Apps[app](env));
  } catch (err) {
    if (err instanceof ConfigError) return `ConfigError ${err.problems.join('; ')}`;
    throw err;
  }
}

const configOf = (app: string): LoadedConfig => Apps[app](envOf(app));
const listenPort = (config: LoadedConfig) => config.port ?? config.opsPort;
const commandLine = (value: string[] | string | undefined) => (Array.isArray(value) ? value.join(' ') : (value ?? ''));

function dependsOn(service: ServiceSpec): Record<string, string> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, { condition }]) => [name, condition]));
}

/** `15s`, `1m30s`, `500ms` → seconds. */
function seconds(duration: string): number {
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return total;
}

describe('docker-compose.yml', () => {
  it('should define NATS, Redis, PostgreSQL and the five apps', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['nats', 'redis', 'postgres', ...appNames]));
  });

  describe.each(appNames)('service %s', (app) => {
    const service = () => compose.services[app];

    it('should pass its environment through the app config loader without a problem', () => {
      expect(problemsOf(app, envOf(app))).toEqual([]);
    });

    it('should set every variable the app requires', () => {
      // With nothing set, the loader names exactly the variables that have no default.
      const required = [...new Set(problemsOf(app, {}).map((problem) => problem.split(':')[0]))];
      expect(required).toContain('NATS_URL');
      const env = envOf(app);
      expect(required.filter((name) => !(name in env))).toEqual([]);
      // And the check has teeth: without any one of them, the compose environment is refused, naming it.
      for (const name of required) {
        const { [name]: _dropped, ...rest } = env;
        expect(problemsOf(app, rest).join('\n')).toContain(`${name}:`);
      }
    });

    it('should set only variables the app reads (no typo, no variable meant for another app)', () => {
      const env = envOf(app);
      const baseline = outcome(app, env);
      const unread = Object.keys(env).filter((name) => {
        const { [name]: _dropped, ...without } = env;
        return outcome(app, without) === baseline && outcome(app, { ...env, [name]: 'not a valid value' }) === baseline;
      });
      expect(unread).toEqual([]);
    });

    it('should run the app entry point from the shared image', () => {
      expect(service().build).toBe('.');
      expect(commandLine(service().command)).toBe(`node dist/apps/${app}/src/main.js`);
      expect(existsSync(join(root, 'apps', app, 'src', 'main.ts'))).toBe(true);
    });

    it('should probe /health/ready on the port the app listens on', () => {
      const probe = /http:\/\/(?:127\.0\.0\.1|localhost):(\d+)\/health\/ready\b/.exec(
        commandLine(service().healthcheck?.test),
      );
      expect(probe).not.toBeNull();
      expect(Number(probe?.[1])).toBe(listenPort(configOf(app)));
      // Slim images have no curl: the probe must run with node.
      expect(commandLine(service().healthcheck?.test)).toMatch(/^CMD node -e /);
    });

    it('should start after every service its configuration names is healthy, and reach it by that name', () => {
      const config = configOf(app);
      const deps = dependsOn(service());
      for (const section of ['nats', 'redis', 'database'] as const) {
        const settings = config[section];
        if (!settings) continue;
        const { service: needed, port } = Infrastructure[section];
        expect({ [needed]: deps[needed] }).toEqual({ [needed]: 'service_healthy' });
        expect(compose.services[needed]?.healthcheck).toBeDefined();
        const url = new URL(settings.url);
        expect(`${url.hostname}:${url.port}`).toBe(`${needed}:${port}`);
      }
    });

    it('should give the app time to drain before Docker kills it', () => {
      const grace = seconds(service().stop_grace_period ?? '10s');
      expect(grace).toBeGreaterThan(configOf(app).shutdownTimeoutMs / 1000);
    });
  });

  it('should put every app on the same NATS server and subject prefix', () => {
    // `name` differs per app (it labels the connection); the rest must agree or the apps cannot hear each other.
    const buses = appNames.map((app) => {
      const { url, subjectPrefix } = configOf(app).nats;
      return { url, subjectPrefix };
    });
    for (const bus of buses) expect(bus).toEqual(buses[0]);
  });

  it('should give every app that reads HANDOVER_SECRET_KEY the same key', () => {
    const keys = appNames.map((app) => configOf(app).secretKey?.toString('base64url')).filter(Boolean);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys).size).toBe(1);
  });

  it('should refuse to start with the placeholder when HANDOVER_SECRET_KEY is not set', () => {
    const unset = loadCompose({});
    for (const app of appNames) {
      if (configOf(app).secretKey === undefined) continue;
      expect(problemsOf(app, envOf(app, unset)).join('\n')).toContain('HANDOVER_SECRET_KEY:');
    }
  });

  it('should connect to PostgreSQL with the user, password and database the postgres service creates', () => {
    const postgres = envOf('postgres');
    for (const app of appNames) {
      const database = configOf(app).database;
      if (!database) continue;
      const url = new URL(database.url);
      expect({ user: url.username, password: url.password, database: url.pathname.slice(1) }).toEqual({
        user: postgres.POSTGRES_USER ?? 'postgres',
        password: postgres.POSTGRES_PASSWORD ?? '',
        database: postgres.POSTGRES_DB ?? postgres.POSTGRES_USER ?? 'postgres',
      });
    }
  });

  it('should run at least two gateway replicas that publish no fixed host port', () => {
    const gateway = compose.services.gateway;
    expect(gateway.deploy?.replicas).toBeGreaterThanOrEqual(2);
    // Two replicas binding one host port would clash; the load balancer is the entry point instead.
    expect(gateway.ports ?? []).toEqual([]);
  });

  it('should balance the gateway replicas on the port the gateway listens on', () => {
    const lb = compose.services.lb;
    expect(dependsOn(lb)).toEqual({ gateway: 'service_healthy' });
    const mount = (lb.volumes ?? []).find((v) => v.startsWith('./deploy/nginx/'));
    expect(mount).toBeDefined();
    const nginx = read((mount as string).split(':')[0]);
    const target = /http:\/\/gateway:(\d+)/.exec(nginx);
    expect(Number(target?.[1])).toBe(configOf('gateway').port);
    expect(lb.ports?.map(String)).toEqual([expect.stringMatching(/:3000$/)]);
    expect(nginx).toMatch(/^\s*listen 3000;/m);
  });
});

describe('deploy/nats/nats-server.conf', () => {
  const conf = read('deploy/nats/nats-server.conf')
    .split('\n')
    .map((line) => line.replace(/(#|\/\/).*$/, '').trim())
    .filter(Boolean)
    .join('\n');
  const jetstream = /(?:^|\n)jetstream\s*(?::\s*)?\{([^}]*)\}/.exec(conf)?.[1] ?? '';
  const setting = (name: string) => new RegExp(`(?:^|\\n)\\s*${name}\\s*[:=]?\\s*([^\\n]+)`).exec(jetstream)?.[1];

  it('should enable JetStream with a file store on the compose volume', () => {
    expect(jetstream).not.toBe('');
    const storeDir = setting('store_dir')?.replace(/["']/g, '');
    expect(storeDir).toBeDefined();
    const nats = compose.services.nats;
    const volume = (nats.volumes ?? []).find((v) => {
      const [source, target] = v.split(':');
      return source in (compose.volumes ?? {}) && (storeDir as string).startsWith(target);
    });
    expect(volume).toBeDefined();
  });

  it('should fsync every message (sync_interval: always), as SPEC §9 requires of a single node', () => {
    expect(setting('sync_interval')).toBe('always');
  });

  it('should be the file the nats service loads', () => {
    const nats = compose.services.nats;
    expect(nats.image).toMatch(/^nats:2\.(1\d)\b/);
    const mount = (nats.volumes ?? []).find((v) => v.startsWith('./deploy/nats/nats-server.conf:'));
    expect(mount).toBeDefined();
    expect(commandLine(nats.command)).toContain((mount as string).split(':')[1]);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('should build on node:20-slim, drop dev dependencies and run as a non-root user', () => {
    expect(dockerfile).toMatch(/^FROM node:20-slim AS build$/m);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users[users.length - 1]);
  });

  it('should keep node_modules, dist, data and .env out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', 'data', '.env']));
  });
});
