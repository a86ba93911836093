import '../lib/base.css';
import './main.css';
import { hasInvisible } from '../../common/approval/reveal';
import type { ElicitationAction, ElicitationView } from '../../common/elicitation/messages';
import { validateForm, type FormField, type FormValues } from '../../common/elicitation/form';
import { el, isRecord, untrusted, untrustedEl } from '../lib/dom';
import { handleTestCommand } from '../lib/testHooks';
import { vscodeApi } from '../lib/vscodeApi';

const api = vscodeApi();
const root = document.getElementById('root') as HTMLElement;
let current: ElicitationView | undefined;
let sent = false;
const readers = new Map<string, () => string | boolean | string[]>();
const writers = new Map<string, (value: unknown) => void>();

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const msg = event.data;
  if (!isRecord(msg)) {
    return;
  }
  if (SECURE_MCP_TEST_BUILD && handleTestCommand(api, msg, (name, value) => writers.get(name)?.(value))) {
    return;
  }
  if (msg.type === 'show' && isRecord(msg.view) && typeof msg.view.requestId === 'string') {
    render(msg.view as unknown as ElicitationView);
  } else if (msg.type === 'errors' && current && msg.requestId === current.requestId && isRecord(msg.errors)) {
    // The host's own validation disagreed (it is the authority): unlock and show why.
    sent = false;
    setLocked(false);
    showErrors(msg.errors as Record<string, string>);
  } else if (msg.type === 'decided') {
    sent = true;
    setLocked(true);
  }
});

document.addEventListener('keydown', event => {
  if (event.key === 'Escape' && current && !sent) {
    event.preventDefault();
    send('cancel');
  }
});

function values(): FormValues {
  const out: Record<string, string | boolean | string[]> = {};
  for (const [name, read] of readers) {
    out[name] = read();
  }
  return out;
}

function send(action: ElicitationAction): void {
  if (!current || sent) {
    return;
  }
  if (action === 'accept' && current.mode === 'form') {
    const v = values();
    const result = validateForm({ fields: current.fields }, v);
    if (!result.ok) {
      showErrors(result.errors);
      return;
    }
    sent = true;
    api.postMessage({ type: 'submit', requestId: current.requestId, action, values: v });
  } else {
    sent = true;
    api.postMessage({ type: 'submit', requestId: current.requestId, action });
  }
  setLocked(true);
}

function setLocked(locked: boolean): void {
  for (const b of Array.from(root.querySelectorAll('button[data-action]'))) {
    (b as HTMLButtonElement).disabled = locked;
  }
  const status = document.getElementById('status');
  if (status && current) {
    status.textContent = locked ? current.strings.decided : '';
  }
}

function showErrors(errors: Record<string, string>): void {
  let first: HTMLElement | undefined;
  for (const node of Array.from(root.querySelectorAll('.field-error'))) {
    node.textContent = '';
  }
  for (const [name, message] of Object.entries(errors)) {
    const target = document.getElementById(`error-${name}`);
    if (target) {
      target.textContent = String(message);
      const input = document.getElementById(`field-${name}`);
      input?.setAttribute('aria-invalid', 'true');
      first ??= input ?? undefined;
    }
  }
  const summary = document.getElementById('form-errors');
  if (summary && current) {
    summary.textContent = current.strings.fixErrors;
  }
  first?.focus();
}

function render(view: ElicitationView): void {
  current = view;
  sent = false;
  readers.clear();
  writers.clear();
  const s = view.strings;
  root.replaceChildren(el('h1', {}, s.heading));
  root.append(el('dl', { className: 'facts' }, el('dt', {}, s.server), el('dd', { id: 'server' }, untrustedEl('span', view.serverUrl, 'mono'))));
  const message = untrustedEl('p', view.message, 'untrusted');
  message.id = 'message';
  root.append(el('section', {}, el('p', { className: 'claim' }, s.messageClaim), message));
  if (hasInvisible(view.message)) {
    root.append(el('p', { className: 'warning-box', id: 'invisible-warning' }, s.invisibleWarning));
  }
  const actions = el('div', { className: 'actions' });
  const button = (action: ElicitationAction, id: string, label: string, secondary: boolean) => {
    const b = el('button', { id, className: secondary ? 'secondary' : '', attrs: { type: 'button', 'data-action': action } }, label);
    b.addEventListener('click', () => send(action));
    return b;
  };
  if (view.mode === 'url') {
    root.append(el('p', {}, s.urlIntro));
    const url = el('pre', { id: 'url' }, untrusted(view.parts.before));
    const mark = el('mark', { id: 'url-domain', className: 'domain' });
    mark.append(untrusted(view.parts.domain));
    url.append(mark, untrusted(view.parts.after));
    root.append(url, el('p', {}, `${s.domain}: `, untrustedEl('strong', view.domain, 'mono')));
    for (const w of view.warnings) {
      root.append(el('p', { className: 'warning-box', attrs: { 'data-warning': w.code } }, untrusted(w.message)));
    }
    const cancel = button('cancel', 'cancel', s.cancel, true);
    actions.append(cancel, button('decline', 'decline', s.decline, true), button('accept', 'accept', s.openUrl, false));
    root.append(actions, el('p', { className: 'status', id: 'status', attrs: { 'aria-live': 'polite' } }));
    cancel.focus();
    return;
  }
  const form = el('div', { className: 'form', id: 'form' });
  for (const field of view.fields) {
    form.append(renderField(field, view.values[field.name], s.required));
  }
  root.append(form, el('p', { className: 'form-errors', id: 'form-errors', attrs: { role: 'alert' } }));
  actions.append(button('accept', 'accept', s.accept, false), button('decline', 'decline', s.decline, true), button('cancel', 'cancel', s.cancel, true));
  root.append(actions, el('p', { className: 'status', id: 'status', attrs: { 'aria-live': 'polite' } }));
  const first = form.querySelector('input, select');
  (first instanceof HTMLElement ? first : document.getElementById('cancel'))?.focus();
}

function renderField(f: FormField, initial: unknown, requiredLabel: string): HTMLElement {
  const id = `field-${f.name}`;
  const wrap = el('div', { className: 'field', attrs: { 'data-kind': f.kind } });
  const label = el('label', { attrs: { for: id } });
  label.append(untrusted(f.title));
  if (f.required) {
    label.append(' ', el('span', { className: 'required' }, `(${requiredLabel})`));
  }
  const describedBy = `desc-${f.name} error-${f.name}`;
  const description = el('div', { className: 'description', id: `desc-${f.name}` });
  if (f.description) {
    description.append(untrusted(f.description));
  }
  const error = el('div', { className: 'field-error', id: `error-${f.name}`, attrs: { 'aria-live': 'polite' } });
  switch (f.kind) {
    case 'boolean': {
      const input = el('input', { id, attrs: { type: 'checkbox', 'aria-describedby': describedBy } });
      input.checked = initial === true;
      readers.set(f.name, () => input.checked);
      writers.set(f.name, v => { input.checked = v === true; });
      wrap.append(el('div', { className: 'checkbox' }, input, label), description, error);
      return wrap;
    }
    case 'enum': {
      const select = el('select', { id, attrs: { 'aria-describedby': describedBy } });
      if (!f.required || f.default === undefined) {
        select.append(el('option', { attrs: { value: '' } }, ''));
      }
      for (const o of f.options) {
        const option = el('option', {});
        option.value = o.value;
        option.append(untrusted(o.title));
        select.append(option);
      }
      select.value = typeof initial === 'string' ? initial : '';
      readers.set(f.name, () => select.value);
      writers.set(f.name, v => { select.value = typeof v === 'string' ? v : ''; });
      wrap.append(label, description, select, error);
      return wrap;
    }
    case 'multiEnum': {
      const group = el('div', { id, className: 'choices', attrs: { role: 'group', 'aria-describedby': describedBy } });
      const boxes: HTMLInputElement[] = [];
      f.options.forEach((o, i) => {
        const box = el('input', { id: `${id}-${i}`, attrs: { type: 'checkbox' } });
        box.value = o.value;
        box.checked = Array.isArray(initial) && initial.includes(o.value);
        boxes.push(box);
        const l = el('label', { attrs: { for: `${id}-${i}` } });
        l.append(untrusted(o.title));
        group.append(el('div', { className: 'checkbox' }, box, l));
      });
      readers.set(f.name, () => boxes.filter(b => b.checked).map(b => b.value));
      writers.set(f.name, v => { for (const b of boxes) { b.checked = Array.isArray(v) && v.includes(b.value); } });
      wrap.append(label, description, group, error);
      return wrap;
    }
    default: {
      const input = el('input', { id, attrs: { 'aria-describedby': describedBy } });
      if (f.kind === 'number' || f.kind === 'integer') {
        input.type = 'number';
        input.step = f.kind === 'integer' ? '1' : 'any';
        if (f.minimum !== undefined) {
          input.min = String(f.minimum);
        }
        if (f.maximum !== undefined) {
          input.max = String(f.maximum);
        }
      } else if (f.kind === 'string') {
        // Plain text even for email/uri: the browser's own validation would silently
        // rewrite or block values; ours explains what is wrong.
        input.type = f.format === 'date' ? 'date' : 'text';
        if (f.maxLength !== undefined) {
          input.maxLength = f.maxLength;
        }
        if (f.format === 'date-time') {
          input.placeholder = 'YYYY-MM-DDThh:mm:ssZ';
        } else if (f.format === 'email') {
          input.placeholder = 'name@example.com';
        } else if (f.format === 'uri') {
          input.placeholder = 'https://';
        }
      }
      if (f.required) {
        input.setAttribute('aria-required', 'true');
      }
      input.value = typeof initial === 'string' ? initial : '';
      readers.set(f.name, () => input.value);
      writers.set(f.name, v => { input.value = typeof v === 'string' ? v : ''; });
      wrap.append(label, description, input, error);
      return wrap;
    }
  }
}

api.postMessage({ type: 'ready' });
