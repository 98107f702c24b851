/**
 * Private, throw-away service instances for tests and benchmarks: a PostgreSQL cluster (stand-in for Redshift)
 * and a moto server (stand-in for S3 and Secrets Manager), each on a free loopback port, stopped by process id.
 * Nothing here relies on a service that is already running or on a fixed port.
 */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export interface PostgresInstance {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): void;
}

export interface MotoInstance {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  stop(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function findPgBin(name: string): string {
  const candidates = [
    ...(fs.existsSync('/usr/lib/postgresql')
      ? fs
          .readdirSync('/usr/lib/postgresql')
          .sort()
          .reverse()
          .map((v) => `/usr/lib/postgresql/${v}/bin/${name}`)
      : []),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    throw new Error(
      `PostgreSQL binary '${name}' not found under /usr/lib/postgresql/*/bin: install postgresql (apt-get install postgresql)`,
    );
  }
  return found;
}

/** Starts a private PostgreSQL cluster. As root, the cluster runs as the `postgres` OS user. */
export async function startPostgres(): Promise<PostgresInstance> {
  const port = await freePort();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-pg-'));
  const dataDir = path.join(base, 'data');
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' })
      : execFileSync(cmd, args, { stdio: 'pipe' });
  if (asRoot) {
    fs.chmodSync(base, 0o777);
  }
  run(findPgBin('initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  run(findPgBin('pg_ctl'), [
    '-D',
    dataDir,
    '-w',
    '-l',
    path.join(base, 'server.log'),
    '-o',
    `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    'start',
  ]);
  const stop = () => {
    try {
      run(findPgBin('pg_ctl'), ['-D', dataDir, '-m', 'immediate', 'stop']);
    } catch {
      /* already stopped */
    }
    fs.rmSync(base, { recursive: true, force: true });
  };
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dataDir, stop };
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      return;
    } catch (e) {
      lastError = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`moto_server did not answer on ${url} within ${timeoutMs} ms: ${String(lastError)}`);
}

/** Starts `moto_server` in server mode on a free loopback port. */
export async function startMoto(): Promise<MotoInstance> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    detached: true,
  });
  child.unref();
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForHttp(`${endpoint}/moto-api/`, 30000);
  const pid = child.pid ?? 0;
  return {
    endpoint,
    port,
    pid,
    stop: () => {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* already stopped */
      }
    },
  };
}
