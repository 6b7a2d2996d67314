// `npm run docs:subjects`: writes docs/subjects.md from SubjectCatalogue (libs/contracts/src/subjects.ts), rendered
// by renderSubjectsDoc() in libs/contracts/src/subjects-doc.ts. It builds first (about a second), so it never renders
// from a stale dist/; libs/contracts/src/subjects-doc.spec.ts fails when the committed file is out of date.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'libs', 'contracts', 'src', 'index.js');
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });

const { renderSubjectsDoc } = await import(pathToFileURL(built).href);
const target = join(root, 'docs', 'subjects.md');
mkdirSync(dirname(target), { recursive: true });
writeFileSync(target, renderSubjectsDoc());
process.stdout.write(`wrote ${target}\n`);
