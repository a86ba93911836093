/**
 * A small HTTPS client that goes through a CONNECT proxy and trusts a given CA, as VS Code's
 * patched fetch does with `http.proxy` and `SSL_CERT_FILE`. For tests of the emulator.
 */
import * as http from 'node:http';
import * as tls from 'node:tls';

export interface TunnelResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface TunnelRequest {
  proxyUrl: string;
  /** Trusted CA certificates (PEM); nothing else is trusted. */
  ca: string | string[];
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** Sent as application/x-www-form-urlencoded unless `headers` say otherwise. */
  form?: Record<string, string> | URLSearchParams;
  timeoutMs?: number;
}

/** Error for a CONNECT the proxy refused; `status` is the proxy's answer. */
export class ProxyRefused extends Error {
  constructor(readonly status: number) {
    super(`proxy refused the tunnel: ${status}`);
  }
}

function openTunnel(proxyUrl: string, authority: string, timeoutMs: number): Promise<import('node:net').Socket> {
  const proxy = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: authority, headers: { host: authority }, timeout: timeoutMs });
    req.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new ProxyRefused(res.statusCode ?? 0));
        return;
      }
      resolve(socket);
    });
    req.on('timeout', () => req.destroy(new Error('CONNECT timed out')));
    req.on('error', reject);
    req.end();
  });
}

export async function requestViaProxy(options: TunnelRequest): Promise<TunnelResponse> {
  const url = new URL(options.url);
  if (url.protocol !== 'https:') {
    throw new Error('requestViaProxy is for https URLs');
  }
  const port = url.port || '443';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const raw = await openTunnel(options.proxyUrl, `${url.hostname}:${port}`, timeoutMs);
  const socket = tls.connect({ socket: raw, servername: url.hostname, ca: options.ca });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  const body = options.form ? new URLSearchParams(options.form as Record<string, string>).toString() : undefined;
  const headers: Record<string, string> = { host: url.host, ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...options.headers };
  return new Promise((resolve, reject) => {
    // One deadline for the whole exchange: a server that never answers is what `hang` faults test.
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`request timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const req = http.request({
      method: options.method ?? (body !== undefined ? 'POST' : 'GET'),
      path: `${url.pathname}${url.search}`,
      headers,
      createConnection: () => socket
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}
