// Runs jest in native-ESM mode (TOOLCHAIN.md): `node scripts/jest.mjs [jest args]`.
import { spawnSync } from 'node:child_process';

const result = spawnSync(process.execPath, ['node_modules/jest/bin/jest.js', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: {
    ...process.env,
    NODE_OPTIONS:
      `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --disable-warning=ExperimentalWarning`.trim(),
  },
});
process.exit(result.status ?? 1);
