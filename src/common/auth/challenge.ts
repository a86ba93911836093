/** One `WWW-Authenticate` challenge (RFC 7235 §4.1, RFC 6750 §3). */
export interface Challenge {
  /** Lower-cased auth scheme, e.g. `bearer`. */
  readonly scheme: string;
  /** Parameters with lower-cased names. */
  readonly params: Readonly<Record<string, string>>;
}

/** What a Bearer challenge tells an MCP client (RFC 6750, RFC 9728 §5.1). */
export interface BearerChallenge {
  readonly error?: string;
  readonly errorDescription?: string;
  /** Space-separated scopes the resource asks for. */
  readonly scope?: string;
  readonly resourceMetadata?: string;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;
const SPACE = /[ \t]*/y;

/**
 * Parses a `WWW-Authenticate` value that may hold several challenges, with quoted
 * strings (commas and escapes inside them stay part of the value). Malformed input
 * yields the challenges parsed so far; it never throws.
 */
export function parseWwwAuthenticate(header: string | null | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) {
    return out;
  }
  let i = 0;
  const at = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(header);
    if (!m || m[0] === '') {
      return undefined;
    }
    i = re.lastIndex;
    return m[0];
  };
  const skipSpace = () => { at(SPACE); };
  const quoted = (): string | undefined => {
    if (header[i] !== '"') {
      return undefined;
    }
    let value = '';
    for (i++; i < header.length; i++) {
      const c = header[i];
      if (c === '\\' && i + 1 < header.length) {
        value += header[++i];
      } else if (c === '"') {
        i++;
        return value;
      } else {
        value += c;
      }
    }
    return undefined;
  };

  while (i < header.length) {
    skipSpace();
    while (header[i] === ',') {
      i++;
      skipSpace();
    }
    const scheme = at(TOKEN);
    if (!scheme) {
      break;
    }
    const params: Record<string, string> = {};
    skipSpace();
    // Parameters continue until a token that is not followed by '=' (the next scheme).
    for (;;) {
      const start = i;
      const name = at(TOKEN);
      if (!name) {
        const t68 = at(TOKEN68);
        if (t68 && !Object.keys(params).length) {
          params[''] = t68;
        }
        break;
      }
      skipSpace();
      if (header[i] !== '=') {
        i = start;
        break;
      }
      i++;
      skipSpace();
      const value = quoted() ?? at(TOKEN) ?? '';
      const key = name.toLowerCase();
      if (!(key in params)) {
        params[key] = value;
      }
      skipSpace();
      if (header[i] === ',') {
        i++;
        skipSpace();
      } else {
        break;
      }
    }
    out.push({ scheme: scheme.toLowerCase(), params });
  }
  return out;
}

/** The first Bearer challenge's parameters, or undefined when there is none. */
export function bearerChallenge(header: string | null | undefined): BearerChallenge | undefined {
  const c = parseWwwAuthenticate(header).find(x => x.scheme === 'bearer');
  if (!c) {
    return undefined;
  }
  const p = c.params;
  return {
    ...(p.error !== undefined ? { error: p.error } : {}),
    ...(p.error_description !== undefined ? { errorDescription: p.error_description } : {}),
    ...(p.scope !== undefined ? { scope: p.scope } : {}),
    ...(p.resource_metadata !== undefined ? { resourceMetadata: p.resource_metadata } : {})
  };
}
