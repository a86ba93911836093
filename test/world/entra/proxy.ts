/**
 * The CONNECT proxy code-server and Chromium are pointed at (`http.proxy`, `--proxy-server`).
 * `CONNECT login.microsoftonline.com:443` and `CONNECT vscode.dev:443` are handed, socket and
 * all, to the emulator's in-process https.Server; every other host gets 502, and so does any
 * plain-HTTP proxy request, so a test machine that is offline stays offline.
 */
import * as http from 'node:http';
import type * as https from 'node:https';
import type * as net from 'node:net';
import { LOGIN_HOST, MICROSOFT_HOST, VSCODE_DEV_HOST } from './config';
import { listen, LOOPBACK_HOST } from '../net';

export const TUNNELLED_HOSTS = [`${LOGIN_HOST}:443`, `${VSCODE_DEV_HOST}:443`, `${MICROSOFT_HOST}:443`] as const;

export interface RefusedRequest {
  at: Date;
  /** `CONNECT example.com:443` or `GET http://example.com/`. */
  request: string;
}

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`: the value for `http.proxy` and `--proxy-server`. */
  url: string;
  port: number;
  /** Tunnels opened, by `host:port`. */
  readonly tunnels: string[];
  /** Everything refused: proof that nothing tried to go elsewhere (or what did). */
  readonly refused: RefusedRequest[];
  close(): Promise<void>;
}

export async function startConnectProxy(target: https.Server, options: { port?: number; hosts?: readonly string[] } = {}): Promise<ConnectProxy> {
  const allowed = new Set((options.hosts ?? TUNNELLED_HOSTS).map((h) => h.toLowerCase()));
  const tunnels: string[] = [];
  const refused: RefusedRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    // A proxy request names an absolute URI; nothing is fetched over plain HTTP for anyone.
    refused.push({ at: new Date(), request: `${req.method ?? 'GET'} ${req.url ?? ''}` });
    res.writeHead(/^https?:\/\//i.test(req.url ?? '') ? 502 : 400, { 'content-type': 'text/plain', connection: 'close' });
    res.end('The Secure MCP test proxy only tunnels to the Entra emulator.\n');
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const authority = (req.url ?? '').toLowerCase();
    if (!allowed.has(authority)) {
      refused.push({ at: new Date(), request: `CONNECT ${req.url ?? ''}` });
      socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nThe Secure MCP test proxy only tunnels to the Entra emulator.\n');
      return;
    }
    tunnels.push(authority);
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) {
      socket.unshift(head);
    }
    target.emit('connection', socket);
  });
  const port = await listen(server, options.port ?? 0);
  return {
    url: `http://${LOOPBACK_HOST}:${port}`,
    port,
    tunnels,
    refused,
    async close() {
      for (const socket of sockets) {
        socket.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  };
}
