/**
 * Server instances as real processes (`node --import tsx src/main.ts`), for the multi-instance
 * tests and the Redis benchmark: spawn with an environment, wait for the "GraphQL server ready"
 * log line (PORT=0 picks a free port), read the JSON log, kill with any signal. `killAll()` ends
 * every instance still running (call it in afterAll, failure or not).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface InstanceProcess {
  child: ChildProcess;
  pid: number;
  /** http://127.0.0.1:port/graphql */
  url: string;
  wsUrl: string;
  base: string;
  /** the cluster instance id (null without REDIS_URL) */
  instanceId: string | null;
  logs: LogLine[];
  exited: Promise<number | null>;
  /** sends `signal` and waits for the process to exit (SIGKILL after `graceMs`) */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/** node's arguments: the sources through tsx, or the build (`['dist/main.js']`, after `npm run build`) */
const FROM_SOURCES = ['--import', 'tsx', 'src/main.ts'];

export async function spawnInstance(env: Record<string, string>, timeoutMs = 30_000, nodeArgs = FROM_SOURCES): Promise<InstanceProcess> {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const logs: LogLine[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<LogLine>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance not ready within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    lines.on('line', (line) => {
      let entry: LogLine;
      try {
        entry = JSON.parse(line) as LogLine;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.msg === 'GraphQL server ready') {
        clearTimeout(timer);
        resolve(entry);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`instance exited (${code}) before it was ready; stderr: ${stderr}`));
    });
  });
  const readyLine = await ready;
  const url = String(readyLine.url).replace('localhost', '127.0.0.1');
  const instanceId = logs.map((l) => l.instance).find((id): id is string => typeof id === 'string') ?? null;
  return {
    child,
    pid: child.pid!,
    url,
    wsUrl: url.replace('http', 'ws'),
    base: url.replace('/graphql', ''),
    instanceId,
    logs,
    exited,
    async kill(signal = 'SIGTERM', graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** SIGKILLs every instance still running and waits for them to exit. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

// a crashed test runner must not leave servers behind
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
