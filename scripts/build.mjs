// Compiles apps/, libs/ and launcher/ to dist/ with swc (about 1 s; `npm run typecheck` runs tsc separately).
// Output mirrors the source tree, so `#contracts` & co. resolve through package.json "imports".
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    'node_modules/@swc/cli/bin/swc.js',
    'apps',
    'libs',
    'launcher',
    '-d',
    'dist',
    '--ignore',
    '**/*.spec.ts,**/*.int-spec.ts,**/*.e2e-spec.ts,**/test/**',
    '--quiet',
  ],
  { stdio: 'inherit' },
);
