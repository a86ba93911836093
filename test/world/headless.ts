/**
 * A person signing in, without a person: the authorization-code + PKCE flow against the
 * world's identity provider, through its real login page, over plain HTTP. Tests that
 * need a real delegated token (not one minted by hand) use this.
 */
import * as crypto from 'node:crypto';
import type { Idp } from './idp';

/** Just enough of a browser: a cookie jar and manual redirects, so every hop is visible. */
export class Browser {
	private readonly cookies = new Map<string, string>();

	async request(url: string, init: RequestInit = {}): Promise<Response> {
		const headers = new Headers(init.headers);
		if (this.cookies.size > 0) {
			headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
		}
		const res = await fetch(url, { ...init, headers, redirect: 'manual' });
		for (const line of res.headers.getSetCookie()) {
			const [pair = ''] = line.split(';');
			const eq = pair.indexOf('=');
			this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
		}
		return res;
	}

	/** Follows redirects until one leaves for `stopAt` (the client's loopback redirect URI). */
	async follow(url: string, stopAt: string, init: RequestInit = {}): Promise<{ res: Response; url: string }> {
		let current = url;
		let res = await this.request(current, init);
		for (let hops = 0; hops < 10; hops++) {
			const location = res.headers.get('location');
			if (res.status < 300 || res.status >= 400 || !location) {
				return { res, url: current };
			}
			current = new URL(location, current).href;
			if (current.startsWith(stopAt)) {
				return { res, url: current };
			}
			res = await this.request(current);
		}
		throw new Error('too many redirects');
	}
}

export interface HeadlessTokens {
	accessToken: string;
	refreshToken?: string;
	/** Epoch milliseconds. */
	expiresAt: number;
}

const form = (fields: Record<string, string>): RequestInit => ({
	method: 'POST',
	headers: { 'content-type': 'application/x-www-form-urlencoded' },
	body: new URLSearchParams(fields).toString(),
});

/** Signs `username` in through the login page and redeems the code; throws on any failure. */
export async function signInHeadless(idp: Idp, options: { username: string; password: string; scope: string; clientId?: string }): Promise<HeadlessTokens> {
	const browser = new Browser();
	const redirectUri = 'http://127.0.0.1:53682/';
	const clientId = options.clientId ?? idp.extensionClientId;
	const verifier = crypto.randomBytes(32).toString('base64url');
	const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
	const state = crypto.randomBytes(16).toString('base64url');
	const authorize = new URL(idp.authorizationEndpoint);
	authorize.search = new URLSearchParams({
		client_id: clientId, response_type: 'code', redirect_uri: redirectUri,
		scope: `openid offline_access ${options.scope}`, code_challenge: challenge, code_challenge_method: 'S256', state,
	}).toString();
	let step = await browser.follow(authorize.href, redirectUri);
	if (step.res.status !== 200) {
		throw new Error(`login page answered ${step.res.status}`);
	}
	step = await browser.follow(`${step.url}/login`, redirectUri, form({ username: options.username, password: options.password }));
	if (!step.url.startsWith(redirectUri)) {
		throw new Error(`sign-in did not complete (HTTP ${step.res.status})`);
	}
	const callback = new URL(step.url);
	const code = callback.searchParams.get('code');
	if (callback.searchParams.get('state') !== state || !code) {
		throw new Error(`sign-in failed: ${callback.searchParams.get('error') ?? 'state mismatch'}`);
	}
	return redeem(idp, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier });
}

/** The refresh grant, as a provider does silently when an access token expired. */
export function refreshHeadless(idp: Idp, refreshToken: string, clientId = idp.extensionClientId): Promise<HeadlessTokens> {
	return redeem(idp, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
}

async function redeem(idp: Idp, fields: Record<string, string>): Promise<HeadlessTokens> {
	const res = await fetch(idp.tokenEndpoint, form(fields));
	const body = await res.json() as { access_token?: string; refresh_token?: string; expires_in?: number; error?: string; error_description?: string };
	if (!res.ok || !body.access_token) {
		throw new Error(`token endpoint answered ${res.status}: ${body.error ?? ''} ${body.error_description ?? ''}`.trim());
	}
	return {
		accessToken: body.access_token,
		...(body.refresh_token ? { refreshToken: body.refresh_token } : {}),
		expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
	};
}
