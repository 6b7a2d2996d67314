// Runs one benchmark: `node bench/run.mjs <name>` compiles bench/ (TypeScript, with the project's swc settings) to
// dist/bench/ and runs dist/bench/<name>.js. The apps themselves run from the existing build (`npm run build`).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const name = process.argv[2];
if (!name || !existsSync(new URL(`./${name}.ts`, import.meta.url))) {
  process.stderr.write(
    'usage: node bench/run.mjs <handover|race|profile|routes|logout-fanout|logout-propagation|receiver-down>\n',
  );
  process.exit(2);
}
execFileSync(
  process.execPath,
  ['node_modules/@swc/cli/bin/swc.js', 'bench', '-d', 'dist', '--ignore', 'bench/results/**,bench/*.mjs', '--quiet'],
  { cwd: root, stdio: 'inherit' },
);
await import(new URL(`../dist/bench/${name}.js`, import.meta.url).href);
