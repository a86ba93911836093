import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlockedUrlError, createSafeFetch, type Lookup } from '../../../../src/node/discovery/safeFetch';

describe('safe fetch for metadata (docs/security.md B5): the address connected to is the one checked', () => {
  let server: http.Server;
  let port = 0;
  const seen: { method: string; body: string; authorization: string | undefined }[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', c => { body += String(c); });
      req.on('end', () => {
        seen.push({ method: req.method ?? '', body, authorization: req.headers.authorization });
        res.writeHead(200, { 'content-type': 'application/json', 'x-test': 'yes' }).end('{"issuer":"ok"}');
      });
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>(r => server.close(() => r())));

  it('DNS rebinding: a public answer at the check, a private one at connect time → refused before connecting', async () => {
    const answers: string[][] = [['93.184.216.34'], ['10.0.0.7']];
    const asked: string[] = [];
    const lookup: Lookup = async host => { asked.push(host); return answers.shift() ?? ['10.0.0.7']; };
    const safeFetch = createSafeFetch({ lookup, timeoutMs: 3000 });
    await assert.rejects(safeFetch('https://rebind.example/.well-known/oauth-protected-resource'),
      (e: unknown) => e instanceof BlockedUrlError && /10\.0\.0\.7/.test(e.message) && /private/.test(e.message));
    assert.deepEqual(asked, ['rebind.example', 'rebind.example'], 'checked before the request and again at connect');
  });

  it('a link-local answer at connect time (cloud metadata) is refused too', async () => {
    const answers: string[][] = [['93.184.216.34'], ['169.254.169.254']];
    const safeFetch = createSafeFetch({ lookup: async () => answers.shift() ?? [], timeoutMs: 3000 });
    await assert.rejects(safeFetch('https://rebind.example/x'), (e: unknown) => e instanceof BlockedUrlError && /link-local/.test(e.message));
  });

  it('reaches a loopback server by name: GET and POST with a body, status and headers intact, no credentials sent', async () => {
    const safeFetch = createSafeFetch({ lookup: async () => ['127.0.0.1'] });
    const got = await safeFetch(`http://localhost:${port}/meta`, { headers: { authorization: 'Bearer secret-token-value' } });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('x-test'), 'yes');
    assert.deepEqual(await got.json(), { issuer: 'ok' });
    const posted = await safeFetch(`http://localhost:${port}/probe`, { method: 'POST', body: '{"jsonrpc":"2.0"}', headers: { 'content-type': 'application/json' } });
    assert.equal(posted.status, 200);
    await posted.text();
    assert.deepEqual(seen.map(x => [x.method, x.body, x.authorization]), [['GET', '', undefined], ['POST', '{"jsonrpc":"2.0"}', undefined]]);
  });
});
