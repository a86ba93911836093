// How a webview panel looks to a person: in the light and the dark theme, and squeezed to
// 300 px wide. Screenshots of each go to test-results/e2e/; the checks make "themed" and
// "readable" something a run can fail on, not only something a screenshot shows.
/* global document, getComputedStyle -- measure() runs in the webview page */
import assert from 'node:assert/strict';
import { runCommand, waitFor } from './ui.mjs';

/** WCAG 2 AA for body text. */
const MIN_CONTRAST = 4.5;
const NARROW_PX = 300;

/**
 * Inside the webview: body text colour against the background it sits on, the theme kind
 * VS Code gave the page, and what a narrow window does to the layout.
 * Runs in the page, so it is self-contained.
 */
function measure(buttonIds) {
  const rgb = value => {
    const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(value);
    return m ? { r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4] } : undefined;
  };
  const luminance = ({ r, g, b }) => {
    const lin = c => { const s = c / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  // The first opaque background from the body up; VS Code paints the webview's own root.
  let background;
  for (let el = document.body; el && !background; el = el.parentElement) {
    const c = rgb(getComputedStyle(el).backgroundColor);
    if (c && c.a > 0.99) {
      background = c;
    }
  }
  background ??= rgb(getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim().replace(/^#(..)(..)(..)$/, (_, r, g, b) => `rgb(${parseInt(r, 16)}, ${parseInt(g, 16)}, ${parseInt(b, 16)})`));
  const foreground = rgb(getComputedStyle(document.body).color);
  const [hi, lo] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
  const width = document.documentElement.clientWidth;
  const buttons = buttonIds.map(id => {
    const r = document.getElementById(id)?.getBoundingClientRect();
    return { id, shown: !!r && r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= width + 0.5 };
  });
  return {
    kind: ['vscode-high-contrast', 'vscode-dark', 'vscode-light'].find(k => document.body.classList.contains(k)) ?? 'none',
    foreground: getComputedStyle(document.body).color,
    background: `rgb(${background.r}, ${background.g}, ${background.b})`,
    contrast: (hi + 0.05) / (lo + 0.05),
    fontPx: parseFloat(getComputedStyle(document.body).fontSize),
    width,
    overflowPx: document.documentElement.scrollWidth - width,
    buttons
  };
}

/**
 * Picks a color theme whose label contains `label` from "Preferences: Color Theme", as a
 * person does; returns the label of the theme that was current.
 */
async function pickTheme(page, label) {
  await runCommand(page, 'Preferences: Color Theme');
  const rows = page.locator('.quick-input-widget .monaco-list-row');
  await rows.first().waitFor({ timeout: 10_000 });
  const current = (await page.locator('.quick-input-widget .monaco-list-row.focused .label-name').first().innerText({ timeout: 5_000 }).catch(() => '')).trim();
  await page.locator('.quick-input-widget .quick-input-box input').fill(label);
  await rows.filter({ hasText: label }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  return current;
}

/** The `<iframe>` in the workbench page that holds `frame` (webviews nest two deep). */
async function outerIframe(page, frame) {
  let f = frame;
  while (f.parentFrame() && f.parentFrame() !== page.mainFrame()) {
    f = f.parentFrame();
  }
  return f.frameElement();
}

/**
 * Screenshots `name` in the current theme, the other one, high contrast and at 300 px, and
 * fails when the panel ignores the theme, its text falls below AA contrast (AAA in high
 * contrast), or at 300 px it scrolls
 * sideways or hides one of `buttonIds`. Leaves the theme and the width as it found them.
 * Returns the screenshot paths.
 */
export async function checkPresentation(ctx, frame, name, buttonIds) {
  const { page } = ctx;
  const shots = [];
  const iframe = await outerIframe(page, frame);
  /** The panel measured again until `ready` holds for it. */
  const measured = (ready, what, timeoutMs = 15_000) => waitFor(async () => {
    const m = await frame.evaluate(measure, buttonIds);
    return ready(m) ? m : undefined;
  }, `${name} ${what}`, timeoutMs);
  /** Logs the theme's colours, requires `minContrast`, and screenshots the panel. */
  const checkTheme = async (m, minContrast, label = m.kind) => {
    ctx.log(`${name}: ${m.kind}, text ${m.foreground} on ${m.background}, contrast ${m.contrast.toFixed(1)}:1`);
    assert.ok(m.contrast >= minContrast, `${name} text contrast ${m.contrast.toFixed(2)}:1 in ${label}`);
    const shot = `${name}-${m.kind.replace('vscode-', '')}`;
    shots.push(await ctx.shot(shot, iframe));
    return shot;
  };
  const backToFirst = () => measured(m => m.kind === first.kind, `back in ${first.kind}`);

  const first = await frame.evaluate(measure, buttonIds);
  await checkTheme(first, MIN_CONTRAST);

  await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
  try {
    const second = await measured(m => m.kind !== first.kind && m.background !== first.background, `to follow the theme away from ${first.kind}`);
    await ctx.readmeShot(await checkTheme(second, MIN_CONTRAST), iframe);
  } finally {
    await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
    await backToFirst();
  }

  const theme = await pickTheme(page, 'Dark High Contrast');
  try {
    await checkTheme(await measured(m => m.kind === 'vscode-high-contrast', 'in high contrast'), 7, 'high contrast');
  } finally {
    await pickTheme(page, theme);
    await backToFirst();
  }

  const previous = await iframe.evaluate((el, px) => { const w = el.style.width; el.style.width = `${px}px`; return w; }, NARROW_PX);
  try {
    const narrow = await measured(m => m.width <= NARROW_PX, `at ${NARROW_PX} px`, 10_000);
    ctx.log(`${name} at ${narrow.width} px: overflow ${narrow.overflowPx} px, font ${narrow.fontPx} px, buttons ${narrow.buttons.map(b => `${b.id}${b.shown ? '' : ' (hidden)'}`).join(', ')}`);
    shots.push(await ctx.shot(`${name}-${NARROW_PX}px`, iframe));
    await ctx.readmeShot(`${name}-${NARROW_PX}px`, iframe);
    assert.ok(narrow.overflowPx <= 1, `${name} scrolls sideways by ${narrow.overflowPx} px at ${narrow.width} px`);
    assert.ok(narrow.fontPx >= 12, `${name} text is ${narrow.fontPx} px`);
    assert.deepEqual(narrow.buttons.filter(b => !b.shown).map(b => b.id), [], `${name} buttons cut off at ${NARROW_PX} px`);
  } finally {
    await iframe.evaluate((el, w) => { el.style.width = w; }, previous);
  }
  return shots;
}
