/**
 * `npm run bench:idle`: what an idle `npm start` costs. Builds if needed (as `npm start` does),
 * then starts `npm start` on the built-in simulator with a free port and prints how long it took
 * to answer /ready 200 and the resident memory of the server process (and of npm's own launcher
 * process, which is not the server) over IDLE_SECONDS (default 30) of idling.
 */
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IDLE_SECONDS = Number(process.env.IDLE_SECONDS ?? 30);

execFileSync(process.execPath, ['scripts/ensure-build.mjs'], { cwd: ROOT, stdio: 'inherit' });

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const childrenOf = (pid: number): number[] => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};
const tree = (pid: number): number[] => [pid, ...childrenOf(pid).flatMap(tree)];
/** user + system CPU time of a process so far, ms (clock ticks are 10 ms on Linux) */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const commandOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();

const started = performance.now();
const npm = spawn('npm', ['start', '--silent'], {
  cwd: ROOT,
  env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production', LOG_LEVEL: 'info' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let output = '';
npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));

try {
  let url: string | undefined;
  while (!url) {
    url = /"url":"(http:\/\/[^"]+\/graphql)"/.exec(output)?.[1];
    if (performance.now() - started > 30_000) throw new Error(`no "GraphQL server ready" line in 30 s:\n${output}`);
    if (!url) await sleep(10);
  }
  const readyUrl = url.replace(/graphql$/, 'ready');
  while (
    !(await fetch(readyUrl).then(
      (r) => r.ok,
      () => false,
    ))
  )
    await sleep(10);
  const readyMs = performance.now() - started;

  const processes = tree(npm.pid!).filter((pid) => pid !== npm.pid);
  const server = processes.find((pid) => commandOf(pid).startsWith(`${process.execPath} `) || commandOf(pid).startsWith('node '));
  if (!server) throw new Error(`no dist/main.js process under npm: ${processes.map(commandOf).join(' | ')}`);
  const serverCpuMs = cpuMs(server);
  let peak = 0;
  let last = 0;
  for (let s = 0; s < IDLE_SECONDS; s++) {
    await sleep(1000);
    last = rssMb(server);
    peak = Math.max(peak, last);
  }
  console.log(`processes under npm start: ${processes.length} (${processes.map((pid) => commandOf(pid).split(' ').slice(0, 2).join(' ')).join(', ')})`);
  console.log(
    `ready (/ready 200) after:   ${Math.round(readyMs)} ms from spawning npm start (load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs)`,
  );
  console.log(`server CPU time until ready: ${serverCpuMs} ms`);
  console.log(`server RSS, idle ${IDLE_SECONDS} s:     peak ${peak.toFixed(1)} MB, last ${last.toFixed(1)} MB`);
  console.log(`npm launcher RSS (not the server): ${rssMb(npm.pid!).toFixed(1)} MB`);
} finally {
  // npm does not pass SIGTERM on to its script: stop the server itself, then npm
  for (const pid of tree(npm.pid!).reverse()) process.kill(pid, 'SIGTERM');
}
