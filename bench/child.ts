/** A forked TypeScript child process with typed IPC: send messages, await replies by type. */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { SERVER_BUNDLE } from '../scripts/server-bundle.mjs';

/**
 * Compiles a bench entry (and the server code it imports) into one JavaScript bundle, so that its
 * process runs as a production server does — plain node, no tsx loader thread or esbuild child
 * beside it, bundled as `npm run build` bundles the server — and its RSS and CPU are the server's own.
 * Returns the path to fork.
 */
export async function compiled(file: string): Promise<string> {
  const name = basename(file, '.ts');
  const outdir = fileURLToPath(new URL(`../node_modules/.cache/alltick-bench/${name}/`, import.meta.url));
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { [name]: fileURLToPath(new URL(file, import.meta.url)) },
    outdir,
    ...SERVER_BUNDLE,
    splitting: true, // as dist/: what is imported lazily (GraphiQL, esbuild, ioredis) stays out of the start
    outExtension: { '.js': '.mjs' }, // ES modules below node_modules/, whatever package.json says
  });
  return `${outdir}${name}.mjs`;
}

/** USER_HZ and the page size on Linux (x86-64, arm64). */
const CLOCK_TICKS = 100;
const PAGE_SIZE = 4096;

export class Child<In extends { type: string }, Out extends { type: string }> {
  private readonly proc: ChildProcess;
  private readonly waiters: { type: string; resolve: (m: Out) => void }[] = [];
  private readonly handlers = new Map<string, (m: Out) => void>();
  private exited = false;
  /** why it exited, when it did */
  exitReason: string | null = null;

  /** `file`: a TypeScript file beside this one (run with tsx), or the path `compiled` returned */
  constructor(file: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env, extraExecArgv: string[] = []) {
    const isCompiled = file.endsWith('.mjs');
    this.proc = fork(isCompiled ? file : fileURLToPath(new URL(file, import.meta.url)), args, {
      execArgv: [...(isCompiled ? [] : ['--import', 'tsx']), '--expose-gc', '--max-old-space-size=4096', ...extraExecArgv],
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (message: Out) => {
      if (message.type === 'error') console.error(`${file}: ${(message as unknown as { message: string }).message}`);
      const i = this.waiters.findIndex((w) => w.type === message.type);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(message);
      else this.handlers.get(message.type)?.(message);
    });
    this.proc.once('exit', (code, signal) => {
      this.exited = true;
      this.exitReason = signal ? `killed by ${signal}` : `exited with ${code}`;
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** CPU time (user + system, all threads) so far, read from /proc: works however busy the child is. */
  cpuMs(): number {
    try {
      const fields = readFileSync(`/proc/${this.proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    } catch {
      return NaN;
    }
  }

  /**
   * CPU time split into user and system (kernel) time, and the write system calls made so far
   * (`syscw` of /proc/<pid>/io): a steadier figure than CPU seconds on a shared machine.
   */
  usage(): { userMs: number; sysMs: number; writes: number } {
    try {
      const fields = readFileSync(`/proc/${this.proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const io = readFileSync(`/proc/${this.proc.pid}/io`, 'utf8');
      return {
        userMs: (Number(fields[11]) * 1000) / CLOCK_TICKS,
        sysMs: (Number(fields[12]) * 1000) / CLOCK_TICKS,
        writes: Number(/^syscw: (\d+)/m.exec(io)?.[1] ?? NaN),
      };
    } catch {
      return { userMs: NaN, sysMs: NaN, writes: NaN };
    }
  }

  /** Resident set size in bytes, from /proc. */
  rss(): number {
    try {
      return Number(readFileSync(`/proc/${this.proc.pid}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE;
    } catch {
      return NaN;
    }
  }

  send(message: In): void {
    if (!this.exited) this.proc.send(message);
  }

  /** The next message of `type` (a registered handler does not see it). */
  next<T extends Out['type']>(type: T, timeoutMs = 60_000): Promise<Extract<Out, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for '${type}'`)), timeoutMs);
      this.waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<Out, { type: T }>);
        },
      });
    });
  }

  /** Sends and awaits the reply of the same type. */
  ask<T extends Out['type'] & In['type']>(message: Extract<In, { type: T }>, timeoutMs?: number): Promise<Extract<Out, { type: T }>> {
    const reply = this.next(message.type, timeoutMs);
    this.send(message);
    return reply;
  }

  on<T extends Out['type']>(type: T, handler: (m: Extract<Out, { type: T }>) => void): void {
    this.handlers.set(type, handler as (m: Out) => void);
  }

  /** Asks it to exit, and kills it if it has not within `graceMs`. */
  async stop(exitMessage: In, graceMs = process.env['BENCH_PROF'] ? 20_000 : 3000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.send(exitMessage);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
