/** What an `OAuthClient` is configured with, and what its parts share. */
import type { FetchLike } from '../auth/authFetch';
import type { Logger } from '../../common/log';
import type { OAuthStore, SecretStore } from '../../common/oauth/store';
import type { Lookup } from '../discovery/safeFetch';

/** Opens the authorization URL for the user: `vscode.env.openExternal` in the product. */
export type BrowserOpener = (url: URL, signal: AbortSignal) => Promise<void>;

export interface PreRegisteredClient {
  readonly clientId: string;
  /** Only for confidential clients (tests, the conformance harness); the product uses public clients. */
  readonly clientSecret?: string;
}

export interface OAuthClientOptions {
  readonly secrets: SecretStore;
  readonly logger: Logger;
  readonly openBrowser: BrowserOpener;
  /** Base fetch under the B5-safe fetch; every OAuth request goes through the safe one. */
  readonly fetch?: FetchLike;
  /** For tests: how host names resolve for the B5 private-address check. */
  readonly lookup?: Lookup;
  /** First choice of client identity (setting `secureMcp.auth.clientId`). */
  readonly preRegisteredClient?: PreRegisteredClient;
  /** Second choice, used when the AS advertises `client_id_metadata_document_supported`. */
  readonly clientMetadataUrl?: string;
  readonly clientName?: string;
  /** Time the user has in the browser. Default 5 minutes. */
  readonly authorizationTimeoutMs?: number;
  /** Ask for `offline_access` when the AS lists it, so a refresh token is issued. Default true. */
  readonly requestOfflineAccess?: boolean;
  /**
   * A 2025-03-26 server with no metadata at all (no PRM, no authorization server
   * metadata): use `/authorize`, `/token` and `/register` on its origin, as that spec
   * allowed, still with PKCE S256. Off by default: nothing advertises S256 there, and
   * docs/security.md A4 refuses such a server unless the user opts in for it.
   */
  readonly legacyEndpointFallback?: boolean;
  readonly now?: () => number;
}

/** One client's options, store, log, fetches and clock, as discovery, sign-in and refresh use them. */
export interface OAuthContext {
  readonly options: OAuthClientOptions;
  readonly store: OAuthStore;
  readonly log: Logger;
  /** The B5-safe fetch, for metadata and the probe. */
  readonly safeFetch: FetchLike;
  /** For `auth()`: discovery is done and verified, so it only talks to token and registration endpoints. */
  readonly endpointFetch: FetchLike;
  readonly now: () => number;
}
