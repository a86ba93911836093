import '../lib/base.css';
import './main.css';
import type { ApprovalChoice, ApprovalView } from '../../common/approval/messages';
import { hasInvisible } from '../../common/approval/reveal';
import { el, isRecord, untrusted, untrustedEl } from '../lib/dom';
import { handleTestCommand } from '../lib/testHooks';
import { vscodeApi } from '../lib/vscodeApi';

const api = vscodeApi();
const root = document.getElementById('root') as HTMLElement;
// Strings longer than this are shown collapsed with a "show all" toggle.
const LONG = 300;
let current: ApprovalView | undefined;
let sent = false;
let timer: ReturnType<typeof setInterval> | undefined;
/** Long strings rendered so far, for their summaries' ids (a keyboard or test target). */
let longStrings = 0;

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const msg = event.data;
  if (!isRecord(msg)) {
    return;
  }
  if (SECURE_MCP_TEST_BUILD && handleTestCommand(api, msg)) {
    return;
  }
  if (msg.type === 'show' && isRecord(msg.view) && typeof msg.view.callId === 'string') {
    render(msg.view as unknown as ApprovalView);
  } else if (msg.type === 'decided') {
    lock();
  }
});

document.addEventListener('keydown', event => {
  // Escape is the keyboard's "no".
  if (event.key === 'Escape' && current && !sent) {
    event.preventDefault();
    decide('decline');
  }
});

function decide(choice: ApprovalChoice): void {
  if (!current || sent) {
    return;
  }
  if (choice !== 'decline' && current.destructive && !(document.getElementById('confirm-destructive') as HTMLInputElement | null)?.checked) {
    return;
  }
  sent = true;
  api.postMessage({ type: 'decision', callId: current.callId, choice });
  lock();
}

function lock(): void {
  sent = true;
  for (const b of Array.from(root.querySelectorAll('button[data-choice]'))) {
    (b as HTMLButtonElement).disabled = true;
  }
  const status = document.getElementById('status');
  if (status && current) {
    status.textContent = current.strings.decided;
  }
  if (timer) {
    clearInterval(timer);
  }
}

function render(view: ApprovalView): void {
  longStrings = 0;
  current = view;
  sent = false;
  const s = view.strings;
  root.replaceChildren();

  const heading = el('h1', {}, s.heading);
  if (view.changed) {
    heading.append(' ', el('span', { className: 'badge warning', id: 'changed-badge' }, s.changedBadge));
  }
  root.append(heading);
  // Which server gets the call, before anything else (E2: several servers may offer alike tools).
  root.append(el('p', { className: 'server-banner', id: 'server-name' }, `${s.sentTo} `, untrustedEl('strong', view.serverLabel)));
  if (view.destructive) {
    root.append(el('div', { className: 'warning-box destructive', id: 'destructive-warning', attrs: { role: 'alert' } },
      el('p', { id: 'destructive-reason' }, view.destructive === 'claimed' ? s.destructiveClaimed : s.destructiveDefault),
      el('p', { id: 'destructive-once' }, s.destructiveOnce)));
  }

  const facts = el('dl', { className: 'facts' });
  const fact = (label: string, value: Node, id?: string) => facts.append(el('dt', {}, label), el('dd', { id }, value));
  fact(s.server, untrustedEl('span', view.serverUrl, 'mono'), 'server');
  if (view.account) {
    fact(s.account, untrustedEl('span', view.account.label), 'account');
    fact(s.tenant, untrustedEl('span', view.account.tenantId ?? '—', 'mono'), 'tenant');
    if (view.account.objectId) {
      fact(s.objectId, untrustedEl('span', view.account.objectId, 'mono'));
    }
  } else {
    fact(s.account, document.createTextNode(s.notSignedIn), 'account');
  }
  fact(s.requestedBy, document.createTextNode(view.origin === 'llm' ? s.requestedByLlm : s.requestedByUser));
  const toolName = untrustedEl('code', view.tool.name);
  toolName.id = 'tool-name';
  const toolNode = el('span', {}, toolName);
  if (view.tool.title) {
    toolNode.append(' — ', untrusted(view.tool.title));
  }
  fact(s.tool, toolNode);
  root.append(el('section', {}, facts));

  const texts = [view.tool.name, view.tool.title ?? '', view.tool.description ?? '', view.serverUrl, JSON.stringify(view.args) ?? ''];
  if (texts.some(hasInvisible)) {
    root.append(el('p', { className: 'warning-box', id: 'invisible-warning' }, s.invisibleWarning));
  }

  const desc = el('section', {}, el('h2', {}, s.description), el('p', { className: 'claim' }, s.descriptionClaim));
  const descText = untrustedEl('p', view.tool.description ?? s.noDescription, 'untrusted');
  descText.id = 'description';
  desc.append(descText);
  root.append(desc);

  if (view.changed) {
    const diff = el('pre', { className: 'diff', id: 'diff' });
    for (const line of view.changed.diff) {
      const prefix = line.op === 'added' ? '+ ' : line.op === 'removed' ? '- ' : '  ';
      const row = el('span', { className: `diff-${line.op}` }, prefix);
      row.append(untrusted(line.text), '\n');
      diff.append(row);
    }
    root.append(el('section', {}, el('h2', {}, s.changedBadge), el('p', {}, s.changedExplanation), diff));
  }

  const args = el('pre', { className: 'json', id: 'arguments' });
  renderJson(args, view.args, 0, s);
  root.append(el('section', {}, el('h2', {}, s.arguments), args));

  const ann = el('section', {}, el('h2', {}, s.annotations), el('p', { className: 'claim' }, s.annotationsClaim));
  if (view.annotations.length) {
    const list = el('ul', { className: 'claims', id: 'annotations' });
    for (const a of view.annotations) {
      list.append(untrustedEl('li', a.text));
    }
    ann.append(list);
  } else {
    ann.append(el('p', { id: 'annotations' }, s.noAnnotations));
  }
  root.append(ann);

  const actions = el('div', { className: 'actions', attrs: { role: 'group', 'aria-label': s.heading } });
  const button = (choice: ApprovalChoice, label: string, secondary: boolean) => {
    const warned: Record<string, string> = view.destructive && choice !== 'decline' ? { 'aria-describedby': 'destructive-warning' } : {};
    const b = el('button', { id: choice, className: secondary ? 'secondary' : '', attrs: { type: 'button', 'data-choice': choice, ...warned } }, label);
    b.addEventListener('click', () => decide(choice));
    return b;
  };
  const labels: Record<ApprovalChoice, string> = { decline: s.decline, approve: s.approve, approveSession: s.approveSession, approvePersistent: s.approvePersistent };
  const buttons = view.choices.map(choice => button(choice, labels[choice], choice !== 'approve' || view.destructive !== undefined));
  if (view.destructive) {
    // In the sticky action bar, so it stays beside the buttons however long the arguments are.
    actions.append(confirmation(buttons.filter(b => b.id !== 'decline'), s.confirmDestructive));
  }
  actions.append(...buttons);
  root.append(actions);
  // Decline takes the initial focus: Enter on an unread prompt must never approve.
  const decline = buttons.find(b => b.id === 'decline') ?? buttons[0];
  const status = el('p', { className: 'status', id: 'status', attrs: { 'aria-live': 'polite' } });
  root.append(status);

  if (timer) {
    clearInterval(timer);
  }
  const tick = () => {
    if (sent) {
      return;
    }
    const left = Math.max(0, Math.ceil((view.deadline - Date.now()) / 1000));
    status.textContent = s.timeLeft.replace('{0}', String(left));
  };
  tick();
  timer = setInterval(tick, 1000);
  decline?.focus();
}

/**
 * A destructive call is approved only on purpose (E9): the approving buttons stay disabled
 * until the user ticks that they checked the arguments, so neither Enter nor a stray
 * click approves it.
 */
function confirmation(approving: readonly HTMLButtonElement[], label: string): HTMLElement {
  const box = el('input', { id: 'confirm-destructive', attrs: { type: 'checkbox' } });
  const sync = () => {
    for (const b of approving) {
      b.disabled = sent || !box.checked;
    }
  };
  box.addEventListener('change', sync);
  sync();
  return el('label', { className: 'confirm', attrs: { for: 'confirm-destructive' } }, box, ' ', label);
}

function renderJson(out: HTMLElement, value: unknown, depth: number, s: ApprovalView['strings']): void {
  const pad = '  '.repeat(depth);
  if (Array.isArray(value)) {
    if (!value.length) {
      out.append('[]');
      return;
    }
    out.append('[\n');
    value.forEach((v, i) => {
      out.append(pad + '  ');
      renderJson(out, v, depth + 1, s);
      out.append(i < value.length - 1 ? ',\n' : '\n');
    });
    out.append(`${pad}]`);
    return;
  }
  if (isRecord(value)) {
    const keys = Object.keys(value);
    if (!keys.length) {
      out.append('{}');
      return;
    }
    out.append('{\n');
    keys.forEach((k, i) => {
      out.append(pad + '  ');
      out.append(untrustedEl('span', JSON.stringify(k), 'json-key'), ': ');
      renderJson(out, value[k], depth + 1, s);
      out.append(i < keys.length - 1 ? ',\n' : '\n');
    });
    out.append(`${pad}}`);
    return;
  }
  if (typeof value === 'string') {
    const literal = JSON.stringify(value);
    if (value.length <= LONG) {
      out.append(untrustedEl('span', literal, 'json-string'));
      return;
    }
    // Collapsed by default so a 50 KB value does not push the buttons out of reach,
    // but one keypress shows every character.
    const details = el('details', { className: 'long-string' });
    const summary = el('summary', { id: `long-string-${++longStrings}` });
    summary.append(untrustedEl('span', `${literal.slice(0, 120)}…`, 'json-string'), ' ', el('span', { className: 'badge' }, `${s.showAll} (${value.length.toLocaleString()} ${s.characters})`));
    details.append(summary, untrustedEl('span', literal, 'json-string full'));
    out.append(details);
    return;
  }
  out.append(el('span', { className: 'json-literal' }, JSON.stringify(value) ?? 'null'));
}

api.postMessage({ type: 'ready' });
