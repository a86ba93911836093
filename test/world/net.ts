import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Every piece of the world binds here: never a wildcard address (B8). */
export const LOOPBACK_HOST = '127.0.0.1';

/** Listens on 127.0.0.1 (port 0 = ephemeral) and resolves with the bound port. */
export function listen(server: http.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, LOOPBACK_HOST, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Closes a server without waiting for idle keep-alive sockets or open SSE streams,
 * which would otherwise hold `close()` (and the test run) open indefinitely.
 */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** True for origins a browser on this machine would send for loopback pages. */
export function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return false;
  }
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

/** True for a Host header naming this machine (anything else is a DNS-rebinding attempt). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) {
    return false;
  }
  return isLoopbackOrigin(`http://${host}`);
}

/** Masks secrets in recorded headers so assertions and logs never hold them. */
export function maskHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) {
      continue;
    }
    const text = Array.isArray(value) ? value.join(', ') : value;
    const lower = name.toLowerCase();
    if (lower === 'authorization') {
      const scheme = text.split(' ')[0] ?? '';
      out[lower] = `${scheme} ***`;
    } else if (lower === 'api-key' || lower === 'cookie' || lower === 'x-api-key') {
      out[lower] = '***';
    } else {
      out[lower] = text;
    }
  }
  return out;
}
