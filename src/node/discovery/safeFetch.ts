import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { ProtocolError, SecureMcpError } from '../../common/errors';
import { isLoopbackHost, isSecureTransport } from '../../common/settings';
import type { FetchLike } from '../auth/authFetch';
import { readAtMost } from '../http/body';

/** A metadata URL that docs/security.md B5 forbids fetching. Not a TypeError, so the SDK's CORS retry never swallows it. */
export class BlockedUrlError extends SecureMcpError {
  override readonly name: string = 'BlockedUrlError';
}

export type Lookup = (hostname: string) => Promise<readonly string[]>;

export interface SafeFetchOptions {
  readonly fetch?: FetchLike;
  /** Resolves a host name to addresses; checked so a public name cannot point at a private address. */
  readonly lookup?: Lookup;
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
}

/**
 * `fetch` for discovery documents (docs/security.md B5): https only (http for loopback),
 * no private, link-local or otherwise internal targets except loopback, no redirects,
 * and a cap on size and time. Never sends credentials.
 */
export function createSafeFetch(options: SafeFetchOptions = {}): FetchLike {
  const base = options.fetch ?? checkedConnectFetch(options.lookup ?? systemLookup);
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const timeoutMs = options.timeoutMs ?? 5000;
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    await checkTarget(url, options.lookup ?? systemLookup);
    const headers = new Headers(init?.headers);
    headers.delete('authorization');
    headers.delete('cookie');
    const signal = init?.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await base(url, { ...init, headers, redirect: 'manual', signal, credentials: 'omit' });
    } catch (e) {
      if (signal.aborted) {
        throw new ProtocolError(`${url.href} did not answer within ${timeoutMs} ms.`, { cause: e });
      }
      throw e;
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      // Shown to the SDK as "not here", so discovery moves on to the next well-known URL.
      return new Response(null, { status: 404, statusText: 'Redirect not followed' });
    }
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > maxBytes) {
      await response.body?.cancel();
      throw new ProtocolError(`${url.href} sent ${declared} bytes; metadata is limited to ${maxBytes}.`);
    }
    const body = await readCapped(response, maxBytes, url);
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

async function readCapped(response: Response, maxBytes: number, url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const body = await readAtMost(response, maxBytes);
  if (!body) {
    throw new ProtocolError(`${url.href} sent more than ${maxBytes} bytes; metadata is limited to that.`);
  }
  return body;
}

/**
 * A minimal fetch over node:http(s) that checks the addresses it connects to. The check
 * before the request alone could be undone by DNS rebinding (a public answer first, a
 * private one a moment later); here what is checked is what the socket connects to.
 * Never follows redirects.
 */
function checkedConnectFetch(lookup: Lookup): FetchLike {
  const checkedLookup: LookupFunction = (hostname, options, callback) => {
    lookup(hostname).then(addresses => {
      if (!addresses.length) {
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 4);
        return;
      }
      const blocked = isLoopbackHost(hostname) ? undefined : refuseInternal(hostname, addresses);
      if (blocked) {
        callback(blocked, '', 4);
        return;
      }
      const all = addresses.map(address => ({ address, family: isIP(address) || 4 }));
      if (options.all) {
        (callback as unknown as (e: null, list: typeof all) => void)(null, all);
      } else {
        callback(null, all[0]!.address, all[0]!.family);
      }
    }, (e: unknown) => callback(e as NodeJS.ErrnoException, '', 4));
  };
  return (input, init) => new Promise<Response>((resolve, reject) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const body = init?.body instanceof URLSearchParams ? init.body.toString() : init?.body;
    if (body !== undefined && body !== null && typeof body !== 'string') {
      reject(new ProtocolError('Metadata requests send text bodies only.'));
      return;
    }
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => { headers[key] = value; });
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: init?.method ?? 'GET',
      headers,
      lookup: checkedLookup,
      ...(init?.signal ? { signal: init.signal } : {})
    }, res => {
      const responseHeaders = new Headers();
      for (const [key, value] of Object.entries(res.headers)) {
        for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
          responseHeaders.append(key, v);
        }
      }
      const status = res.statusCode ?? 502;
      const empty = status === 204 || status === 205 || status === 304;
      if (empty) {
        res.resume();
      }
      try {
        resolve(new Response(empty ? null : Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }));
      } catch (e) {
        res.destroy();
        reject(new ProtocolError(`${url.host} answered with HTTP status ${status}.`, { cause: e }));
      }
    });
    request.on('error', e => reject((e as { cause?: unknown }).cause instanceof BlockedUrlError ? (e as { cause: unknown }).cause : e));
    request.end(body ?? undefined);
  });
}

const systemLookup: Lookup = async host => {
  try {
    return (await dnsLookup(host, { all: true })).map(a => a.address);
  } catch {
    // Unresolvable: the fetch itself fails with a clearer error.
    return [];
  }
};

async function checkTarget(url: URL, lookup: Lookup): Promise<void> {
  if (!isSecureTransport(url)) {
    throw new BlockedUrlError(`Refusing to fetch ${url.protocol}//${url.host}: metadata must come over https (http only for loopback).`);
  }
  if (url.username || url.password) {
    throw new BlockedUrlError('Refusing to fetch a metadata URL with a user name or password.');
  }
  if (isLoopbackHost(url.hostname)) {
    return;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const blocked = refuseInternal(url.host, isIP(host) ? [host] : await lookup(host));
  if (blocked) {
    throw blocked;
  }
}

/** The refusal for the first private, link-local or other internal address of `host`, if any. */
function refuseInternal(host: string, addresses: readonly string[]): BlockedUrlError | undefined {
  for (const address of addresses) {
    const why = internalAddress(address);
    if (why) {
      return new BlockedUrlError(`Refusing to fetch ${host}: it resolves to ${address}, ${why}.`);
    }
  }
  return undefined;
}

/** Why an address must not be fetched, or undefined for a public one. */
export function internalAddress(address: string): string | undefined {
  const v4 = mappedV4(address) ?? (isIP(address) === 4 ? address : undefined);
  if (v4) {
    const [a = 0, b = 0] = v4.split('.').map(Number);
    if (a === 127) { return undefined; }
    if (a === 169 && b === 254) { return 'a link-local address (cloud metadata lives there)'; }
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) { return 'a private address'; }
    if (a === 100 && b >= 64 && b <= 127) { return 'a shared (carrier-grade NAT) address'; }
    if (a === 0 || a >= 224) { return 'not a unicast address'; }
    return undefined;
  }
  const v6 = address.toLowerCase();
  if (v6 === '::1') { return undefined; }
  if (v6 === '::') { return 'not a unicast address'; }
  if (/^fe[89ab]/.test(v6)) { return 'a link-local address'; }
  if (/^f[cd]/.test(v6)) { return 'a private (unique local) address'; }
  if (/^ff/.test(v6)) { return 'not a unicast address'; }
  return undefined;
}

/** The IPv4 address inside an IPv4-mapped IPv6 one, in either spelling (WHATWG URL writes the hex form). */
function mappedV4(address: string): string | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) {
    return dotted[1];
  }
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) {
    return undefined;
  }
  const hi = parseInt(hex[1] ?? '0', 16);
  const lo = parseInt(hex[2] ?? '0', 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}
