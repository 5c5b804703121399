// `prestart`: build when dist/ is missing or older than the sources, so `npm install && npm start`
// works on a fresh clone. An install without dev dependencies cannot build: it runs the dist/ it has.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.build-stamp');

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

const inputs = ['src', 'package.json', 'package-lock.json', 'tsconfig.json'].map((p) => join(root, p)).filter(existsSync);
const built = existsSync(stamp) ? statSync(stamp).mtimeMs : -1;
if (built >= Math.max(...inputs.map(newestMtime))) process.exit(0);

let canBuild = true;
try {
  createRequire(import.meta.url).resolve('esbuild');
} catch {
  canBuild = false;
}
if (!canBuild) {
  if (built >= 0) {
    console.warn('dist/ is older than the sources and the dev dependencies to rebuild it are not installed: starting the existing build');
    process.exit(0);
  }
  console.error('no build in dist/ and no dev dependencies to make one: run `npm install` then `npm run build`');
  process.exit(1);
}
console.log(built < 0 ? 'no build yet: npm run build' : 'sources changed since the last build: npm run build');
const result = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
