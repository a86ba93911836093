import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ENTRY = path.join(__dirname, '../../node_modules/@modelcontextprotocol/server-everything/dist/index.js');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>(r => server.close(() => r()));
  return port;
}

export interface Everything {
  readonly url: string;
  readonly port: number;
  /** Stops the process and starts a new one on the same port: every session is forgotten. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `@modelcontextprotocol/server-everything` over Streamable HTTP, as published: a peer
 * nobody here wrote. It takes no authorization, so the client's bearer goes unused.
 */
export async function startEverything(port?: number): Promise<Everything> {
  const chosen = port ?? await freePort();
  let child: ChildProcess | undefined;
  const start = () => new Promise<void>((resolve, reject) => {
    const proc = spawn(process.execPath, [ENTRY, 'streamableHttp'], { env: { ...process.env, PORT: String(chosen) }, stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server-everything did not start: ${err}`)), 20_000);
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on port')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`server-everything exited (${code}): ${err}`));
    });
  });
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (proc && proc.exitCode === null) {
      const exited = new Promise(r => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    }
  };
  await start();
  return {
    url: `http://127.0.0.1:${chosen}/mcp`,
    port: chosen,
    restart: async () => {
      await stop();
      await start();
    },
    close: stop
  };
}
