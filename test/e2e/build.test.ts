/**
 * `npm run build` and the production process: the server bundled to plain JavaScript (esbuild), the
 * dashboard bundled ahead of time. `node dist/main.js` must run with only the runtime dependencies
 * (what `npm ci --omit=dev` installs): no tsx, no esbuild, no child process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { killAll, spawnInstance, type InstanceProcess } from '../support/instance-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

let server: InstanceProcess;

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'pipe' });
  server = await spawnInstance({}, 30_000, ['dist/main.js']);
}, 120_000);
afterAll(() => killAll());

/** the package a bare import specifier names (`@scope/name/sub` → `@scope/name`) */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * What the bundle's files import, statically (`from"…"`, `import"…"`) and lazily (`import("…")`),
 * in esbuild's minified spelling (no space, double quotes), which text inside strings does not use.
 */
function importsOf(file: string): { static: string[]; lazy: string[] } {
  const code = readFileSync(join(DIST, file), 'utf8');
  return {
    static: [...code.matchAll(/\b(?:from|import)"([^"]+)"/g)].map((m) => m[1]!),
    lazy: [...code.matchAll(/\bimport\("([^"]+)"\)/g)].map((m) => m[1]!),
  };
}

/** The files and packages dist/main.js loads at start (its static graph), and what it imports lazily. */
function loadedAtStart(): { files: Set<string>; packages: Set<string>; lazy: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const lazy = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const { static: eager, lazy: later } = importsOf(file);
    for (const specifier of eager) {
      if (specifier.startsWith('.')) visit(relative(DIST, join(DIST, dirname(file), specifier)));
      else packages.add(packageOf(specifier));
    }
    for (const specifier of later) lazy.add(specifier.startsWith('.') ? relative(DIST, join(DIST, dirname(file), specifier)) : packageOf(specifier));
  };
  visit('main.js');
  return { files, packages, lazy };
}

it('the built server is one bundle: it imports only Node, pino and its own chunks; dev tools are not even imported lazily', () => {
  const { files, packages, lazy } = loadedAtStart();
  const builtin = (name: string) => name.startsWith('node:') || builtinModules.includes(name);
  expect([...packages].filter((name) => !builtin(name))).toEqual(['pino']); // kept outside: it starts pino-pretty by path
  expect(pkg.dependencies).toHaveProperty('pino');
  expect(files.size).toBeLessThan(10); // a handful of chunks, not hundreds of modules
  // esbuild is behind the dashboard's from-the-sources fallback only (dist has the page); tsx nowhere
  expect(lazy).toContain('dashboard-build.js');
  for (const file of files) expect(importsOf(file).static).not.toContain('esbuild');
  expect(importsOf('dashboard-build.js').static).toContain('esbuild');
  for (const tool of ['tsx', 'esbuild', 'typescript', 'lightweight-charts']) expect(pkg.dependencies).not.toHaveProperty(tool);
});

it('node dist/main.js serves GraphQL and the prebuilt dashboard, with no child process', async () => {
  const ready = await fetch(`${server.base}/ready`);
  expect([200, 503]).toContain(ready.status);
  const query = await fetch(`${server.url}?query=${encodeURIComponent('{ symbols(search: "AAPL.US") { symbol } }')}`);
  expect(query.status).toBe(200);
  expect(await query.json()).toMatchObject({ data: { symbols: [{ symbol: 'AAPL.US' }] } });

  const page = await fetch(`${server.base}/`);
  expect(await page.text()).toContain('dashboard.js');
  const script = await fetch(`${server.base}/dashboard.js`);
  expect(script.headers.get('content-type')).toMatch(/javascript/);
  expect(await script.text()).toBe(readFileSync(join(DIST, 'dashboard', 'dashboard.js'), 'utf8'));

  const children = readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8').trim();
  expect(children).toBe(''); // no esbuild service, no tsx loader
});

it('npm start builds only when the sources changed since the last build', () => {
  const out = execFileSync(process.execPath, ['scripts/ensure-build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  expect(out).toBe(''); // just built: nothing to do
});
