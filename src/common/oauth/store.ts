import type { OAuthClientInformationMixed } from '@modelcontextprotocol/client';

/** The subset of VS Code's `SecretStorage` the OAuth client needs (docs/security.md A9). */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

/** One grant: what the token is for, and the token itself. Stored only in the SecretStore. */
export interface TokenRecord {
  /** The MCP server URL it was obtained for. */
  readonly server: string;
  /** The authorization server (the discovered issuer) that issued it. */
  readonly issuer: string;
  /** Space-separated, sorted scopes that were requested; empty when none were. */
  readonly scope: string;
  /** The RFC 8707 resource sent with every request of this grant, if any. */
  readonly resource?: string;
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** Epoch milliseconds. */
  readonly expiresAt?: number;
  readonly grantedScope?: string;
  readonly account: { readonly id: string; readonly label: string };
  readonly createdAt: number;
}

const PREFIX = 'secure-mcp.oauth';
const INDEX_KEY = `${PREFIX}.tokens`;

export const normalizeScope = (scope: string | undefined): string =>
  [...new Set((scope ?? '').split(/\s+/).filter(Boolean))].sort().join(' ');

/** docs/security.md A3: a token is keyed by (server, issuer, scopes), so no server ever gets another's. */
export function tokenKey(server: string, issuer: string, scope: string): string {
  return `${PREFIX}.token/${JSON.stringify([server, issuer, normalizeScope(scope)])}`;
}

/** docs/security.md A9: a client registration belongs to one authorization server. */
export function clientKey(issuer: string): string {
  return `${PREFIX}.client/${issuer}`;
}

/**
 * Token records and client registrations in a SecretStore. SecretStorage cannot list
 * its keys, so an index of token keys (no secrets in it) is kept beside them.
 */
export class OAuthStore {
  // Serializes index updates: two sign-ins finishing together must not lose a key.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly secrets: SecretStore) {}

  async listTokens(): Promise<TokenRecord[]> {
    const out: TokenRecord[] = [];
    for (const key of await this.index()) {
      const record = parse<TokenRecord>(await this.secrets.get(key));
      if (record) {
        out.push(record);
      }
    }
    return out;
  }

  async getToken(server: string, issuer: string, scope: string): Promise<TokenRecord | undefined> {
    return parse<TokenRecord>(await this.secrets.get(tokenKey(server, issuer, scope)));
  }

  saveToken(record: TokenRecord): Promise<void> {
    const key = tokenKey(record.server, record.issuer, record.scope);
    return this.serial(async () => {
      await this.secrets.store(key, JSON.stringify(record));
      const index = await this.index();
      if (!index.includes(key)) {
        await this.secrets.store(INDEX_KEY, JSON.stringify([...index, key]));
      }
    });
  }

  deleteToken(server: string, issuer: string, scope: string): Promise<void> {
    const key = tokenKey(server, issuer, scope);
    return this.serial(async () => {
      await this.secrets.delete(key);
      const index = await this.index();
      const rest = index.filter(k => k !== key);
      if (!rest.length) {
        // The last grant: nothing of this provider stays in secret storage, not even the list.
        await this.secrets.delete(INDEX_KEY);
      } else if (rest.length !== index.length) {
        await this.secrets.store(INDEX_KEY, JSON.stringify(rest));
      }
    });
  }

  async getClient(issuer: string): Promise<OAuthClientInformationMixed | undefined> {
    return parse<OAuthClientInformationMixed>(await this.secrets.get(clientKey(issuer)));
  }

  async saveClient(issuer: string, info: OAuthClientInformationMixed): Promise<void> {
    await this.secrets.store(clientKey(issuer), JSON.stringify(info));
  }

  async deleteClient(issuer: string): Promise<void> {
    await this.secrets.delete(clientKey(issuer));
  }

  private async index(): Promise<string[]> {
    const keys = parse<unknown>(await this.secrets.get(INDEX_KEY));
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.queue.then(op, op);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function parse<T>(text: string | undefined): T | undefined {
  if (!text) {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    // A damaged entry is treated as absent; the next sign-in overwrites it.
    return undefined;
  }
}
