/**
 * `npm run build` and the production process: the server compiled to plain JavaScript, the
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

/** The packages dist/main.js loads at start: its static import graph, followed file by file. */
function packagesLoadedAtStart(): { packages: Set<string>; lazy: Set<string> } {
  const packages = new Set<string>();
  const lazy = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/^(?:import|export)\s(?:[^;]*?from\s+)?'([^']+)'/gm)) {
      const specifier = m[1]!;
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
      else packages.add(packageOf(specifier));
    }
    for (const m of code.matchAll(/\bimport\('([^']+)'\)/g)) lazy.add(m[1]!.startsWith('.') ? relative(DIST, join(dirname(file), m[1]!)) : packageOf(m[1]!));
  };
  visit(join(DIST, 'main.js'));
  return { packages, lazy };
}

it('the built server loads only runtime dependencies; dev tools are not even imported lazily', () => {
  const { packages, lazy } = packagesLoadedAtStart();
  const builtin = (name: string) => name.startsWith('node:') || builtinModules.includes(name);
  expect([...packages].filter((name) => !builtin(name) && !(name in pkg.dependencies))).toEqual([]);
  expect(packages.has('graphql-yoga')).toBe(true); // the walk did reach the server
  // esbuild is behind the dashboard's from-the-sources fallback (dist has the bundle); tsx nowhere
  expect(lazy).toContain('http/dashboard-build.js');
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
