/**
 * A throwaway certificate authority made per run with the `openssl` binary: a CA and one
 * leaf for the hosts the Entra emulator answers for. Everything lives in a private temp
 * directory (never the repository) and is deleted by `dispose()`.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The system trust store this image ships; the bundle handed to `SSL_CERT_FILE` starts with it. */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** Hosts the leaf certificate is valid for by default. */
export const DEFAULT_LEAF_HOSTS = ['login.microsoftonline.com', 'vscode.dev', 'microsoft.com', '127.0.0.1'] as const;

export interface TestCaOptions {
  /** DNS names and IP addresses the leaf is valid for. Default `DEFAULT_LEAF_HOSTS`. */
  hosts?: readonly string[];
  /** Bundle the CA is appended to. Default `SYSTEM_CA_BUNDLE`; a missing file is skipped. */
  systemBundle?: string;
}

export interface TestCa {
  /** The private temp directory holding every file below. */
  dir: string;
  caPem: string;
  /** Leaf certificate (PEM), issued by the CA. */
  certPem: string;
  /** Leaf private key (PEM). Lives only in `dir` and in memory. */
  keyPem: string;
  /** The CA certificate as a file, for tools that want a path (Chromium policies, `--cacert`). */
  caFile: string;
  /** System bundle + this CA: what `SSL_CERT_FILE` should name for code-server. */
  caBundleFile: string;
  hosts: readonly string[];
  dispose(): Promise<void>;
}

const isIp = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');

export async function createTestCa(options: TestCaOptions = {}): Promise<TestCa> {
  const hosts = options.hosts ?? DEFAULT_LEAF_HOSTS;
  if (hosts.length === 0 || hosts.some((h) => !/^[A-Za-z0-9.:-]+$/.test(h))) {
    throw new Error(`invalid certificate hosts: ${hosts.join(', ')}`);
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'secure-mcp-entra-ca-'));
  await fs.chmod(dir, 0o700);
  const file = (name: string) => path.join(dir, name);
  const dispose = () => fs.rm(dir, { recursive: true, force: true });
  try {
    const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-keyout', file('ca.key'), '-out', file('ca.crt'),
      '-subj', `/CN=Secure MCP throwaway test CA ${new Date().toISOString()}`,
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-sha256',
      '-keyout', file('leaf.key'), '-out', file('leaf.csr'), '-subj', `/CN=${hosts[0]}`);
    const san = hosts.map((h) => (isIp(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
    await fs.writeFile(file('leaf.ext'), [
      `subjectAltName=${san}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      ''
    ].join('\n'));
    await openssl('x509', '-req', '-sha256', '-days', '2', '-in', file('leaf.csr'),
      '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-extfile', file('leaf.ext'), '-out', file('leaf.crt'));
    // The CA key signed its one leaf; nothing else may ever be issued by it.
    await fs.rm(file('ca.key'));
    const [caPem, certPem, keyPem] = await Promise.all(['ca.crt', 'leaf.crt', 'leaf.key'].map((n) => fs.readFile(file(n), 'utf8')));
    let system = '';
    try {
      system = await fs.readFile(options.systemBundle ?? SYSTEM_CA_BUNDLE, 'utf8');
    } catch {
      system = '';
    }
    const caBundleFile = file('ca-bundle.crt');
    await fs.writeFile(caBundleFile, `${system.replace(/\n*$/, '\n')}${caPem}`, { mode: 0o644 });
    return { dir, caPem: caPem!, certPem: certPem!, keyPem: keyPem!, caFile: file('ca.crt'), caBundleFile, hosts, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/**
 * A CA made earlier by `createTestCa` (by the test runner, before code-server starts with
 * its bundle in `SSL_CERT_FILE`), for an emulator started later in another process. The
 * caller who made it disposes of it; `dispose()` here does nothing.
 */
export async function loadTestCa(dir: string, hosts: readonly string[] = DEFAULT_LEAF_HOSTS): Promise<TestCa> {
  const file = (name: string) => path.join(dir, name);
  const [caPem, certPem, keyPem] = await Promise.all(['ca.crt', 'leaf.crt', 'leaf.key'].map((n) => fs.readFile(file(n), 'utf8')));
  return { dir, caPem: caPem!, certPem: certPem!, keyPem: keyPem!, caFile: file('ca.crt'), caBundleFile: file('ca-bundle.crt'), hosts, dispose: async () => undefined };
}
