/** Spawning the other process of a two-process benchmark and reading its lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PEER_SCRIPT = fileURLToPath(new URL('../tcp-peer.js', import.meta.url));

export interface Child {
  proc: ChildProcess;
  /** Resolves with the rest of the first line starting with `prefix`. */
  line(prefix: string): Promise<string>;
  /** CPU time (user + system, µs) the process has used so far. */
  cpu(): Promise<number>;
  /** Close its stdin (servers exit) and wait for it to exit. */
  stop(): Promise<void>;
}

export function spawnPeer(
  args: string[],
  nodeArgs: string[] = [],
  script: string = PEER_SCRIPT,
): Child {
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const rl = createInterface({ input: proc.stdout! });
  const waiters: { prefix: string; resolve: (s: string) => void; reject: (e: Error) => void }[] =
    [];
  const seen: string[] = [];
  rl.on('line', (l) => {
    const i = waiters.findIndex((w) => l.startsWith(w.prefix));
    if (i >= 0) {
      const [w] = waiters.splice(i, 1);
      w!.resolve(l.slice(w!.prefix.length).trim());
    } else seen.push(l);
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((r) =>
    proc.once('exit', (code) => {
      exitCode = code;
      for (const w of waiters.splice(0))
        w.reject(new Error(`peer ${args.join(' ')} exited (${code}) before "${w.prefix}"`));
      r();
    }),
  );
  return {
    proc,
    line(prefix) {
      const i = seen.findIndex((l) => l.startsWith(prefix));
      if (i >= 0)
        return Promise.resolve((seen.splice(i, 1)[0] as string).slice(prefix.length).trim());
      if (exitCode !== undefined)
        return Promise.reject(
          new Error(`peer ${args.join(' ')} exited (${exitCode}) before "${prefix}"`),
        );
      return new Promise((resolve, reject) => waiters.push({ prefix, resolve, reject }));
    },
    async cpu() {
      const p = this.line('CPU');
      proc.stdin?.write('cpu\n');
      return Number(await p);
    },
    async stop() {
      proc.stdin?.end();
      const t = setTimeout(() => proc.kill(), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}
