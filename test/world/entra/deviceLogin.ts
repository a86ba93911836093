/**
 * Where a user takes a device code, as Entra has it: `https://microsoft.com/devicelogin`
 * sends the browser on to `https://login.microsoftonline.com/common/oauth2/deviceauth`, a
 * form for the code (`otc`); submitting a pending code signs it in as the emulator's current
 * user, and the client's polling of /token then gets its tokens.
 */
import { escapeHtml, param, redirect, sendHtml, type Exchange } from './exchange';
import { LOGIN_ORIGIN } from './config';
import type { EmulatorState } from './state';

export const DEVICE_AUTH_PATH = '/common/oauth2/deviceauth';

const page = (title: string, body: string) =>
  `<!DOCTYPE html><html><head><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;

export function createDeviceLogin(state: EmulatorState) {
  return {
    /** microsoft.com/devicelogin */
    devicelogin(ex: Exchange): void {
      redirect(ex, `${LOGIN_ORIGIN}${DEVICE_AUTH_PATH}`);
    },
    /** The code form (GET) and its answer (POST). */
    deviceauth(ex: Exchange): void {
      if (ex.req.method !== 'POST') {
        sendHtml(ex, 200, page('Enter code', `<h1>Enter code</h1><p>Enter the code displayed on your app or device.</p>
<form method="POST" action="${DEVICE_AUTH_PATH}"><input id="otc" name="otc" autocomplete="off" /><button id="idSIButton9" type="submit">Next</button></form>`));
        return;
      }
      const code = (param(ex, 'otc') ?? '').trim().toUpperCase();
      const entry = state.pendingDeviceCodes().find((d) => d.userCode === code);
      if (!entry) {
        sendHtml(ex, 400, page('Enter code', `<h1>Enter code</h1><p id="error">That code didn't work. Check the code and try again.</p>
<form method="POST" action="${DEVICE_AUTH_PATH}"><input id="otc" name="otc" autocomplete="off" /><button id="idSIButton9" type="submit">Next</button></form>`));
        return;
      }
      entry.status = 'approved';
      entry.user = state.user;
      sendHtml(ex, 200, page('Signed in', `<h1 id="done">You have signed in</h1><p>Signed in as ${escapeHtml(state.user.preferredUsername)}. You may now close this window.</p>`));
    }
  };
}
