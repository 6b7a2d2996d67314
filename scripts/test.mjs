// `npm test`: build, static checks, then the three test tiers (unit; integration against the machine's
// PostgreSQL, Redis and NATS; end-to-end over HTTP in embedded and in distributed mode).
//
// Without those services the integration and distributed tiers are skipped, and this says so and how to start
// them; with CI=true a missing service is a failure, never a skip.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const only = process.argv.slice(2); // e.g. `npm test -- unit e2e-embedded`

function run(label, command, args, env = {}) {
  process.stdout.write(`\n=== ${label} ===\n`);
  const started = Date.now();
  const r = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  process.stdout.write(
    `=== ${label}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s ===\n`,
  );
  return r.status === 0;
}

function listening(host, port) {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, host, () => done(true));
  });
}

const services = {
  postgres: [5432, 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start'],
  redis: [6379, 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'],
  nats: [4222, 'nats-server -a 127.0.0.1 -p 4222 -js'],
};
const missing = [];
for (const [name, [port]] of Object.entries(services)) if (!(await listening('127.0.0.1', port))) missing.push(name);

const node = process.execPath;
const failures = [];
const step = (label, ...args) => {
  if (!run(label, ...args)) failures.push(label);
};

if (only.length === 0) {
  step('build', node, ['scripts/build.mjs']);
  step('typecheck', node, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.check.json']);
  step('lint', node, ['node_modules/eslint/bin/eslint.js', '--max-warnings', '0', '.']);
  step('format', node, ['node_modules/prettier/bin/prettier.cjs', '--check', '--log-level', 'warn', '.']);
} else {
  step('build', node, ['scripts/build.mjs']);
}

const tiers = [
  { project: 'unit', needs: false },
  { project: 'integration', needs: true },
  { project: 'e2e-embedded', needs: false },
  { project: 'e2e-distributed', needs: true },
].filter((t) => only.length === 0 || only.includes(t.project));

const totals = { passed: 0, failed: 0, skipped: 0 };
const skippedTiers = [];
mkdirSync('test-output', { recursive: true });
for (const tier of tiers) {
  if (tier.needs && missing.length > 0) {
    if (ci) {
      failures.push(tier.project);
      process.stdout.write(`\n=== ${tier.project}: FAILED: CI=true and not reachable: ${missing.join(', ')} ===\n`);
    } else {
      skippedTiers.push(tier.project);
    }
    continue;
  }
  const report = `test-output/jest-${tier.project}.json`;
  rmSync(report, { force: true });
  step(`tests: ${tier.project}`, node, [
    'scripts/jest.mjs',
    '--selectProjects',
    tier.project,
    '--json',
    '--outputFile',
    report,
    ...(tier.project.startsWith('e2e') || tier.project === 'integration' ? ['--runInBand'] : []),
  ]);
  try {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + r.numTodoTests;
  } catch {
    // jest failed before writing its report; the step is already marked failed.
  }
}

if (skippedTiers.length > 0) {
  process.stdout.write(
    `\nSKIPPED tiers: ${skippedTiers.join(', ')}: not reachable: ${missing.join(', ')}.\n` +
      `Start them with \`docker compose up -d postgres redis nats\`, or on this machine:\n` +
      missing.map((m) => `  ${services[m][1]}`).join('\n') +
      '\n',
  );
}
if (failures.length > 0) process.stdout.write(`\nFAILED steps: ${failures.join(', ')}\n`);
process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(failures.length > 0 ? 1 : 0);
