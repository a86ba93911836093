import assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore -- a plain ES module without types; buildOptions() returns esbuild BuildOptions.
import { buildOptions } from '../../../esbuild.mjs';

type Graph = ReadonlyMap<string, readonly string[]>;

/** Every cycle's first occurrence as a path a → … → a, over the given edges. */
export function findCycles(graph: Graph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(next)), next]);
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) {
    if (!state.has(node)) {
      visit(node);
    }
  }
  return cycles;
}

/** The source modules (under src/) each output bundle is made of. */
function sourcesByOutput(meta: esbuild.Metafile): Map<string, string[]> {
  return new Map(Object.entries(meta.outputs)
    .filter(([file]) => file.endsWith('.js'))
    .map(([file, out]) => [file, Object.keys(out.inputs).filter(i => i.startsWith('src/'))]));
}

/** Import edges between source modules, as esbuild saw them (type-only imports are gone). */
function importGraph(metas: readonly esbuild.Metafile[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const meta of metas) {
    for (const [file, input] of Object.entries(meta.inputs).filter(([f]) => f.startsWith('src/'))) {
      graph.set(file, input.imports.map(i => i.path).filter(p => p.startsWith('src/') && !p.endsWith('.css')));
    }
  }
  return graph;
}

async function build(production: boolean): Promise<{ host: esbuild.BuildResult & { metafile: esbuild.Metafile }; webviews: esbuild.BuildResult & { metafile: esbuild.Metafile } }> {
  const [host, webviews] = (buildOptions({ production }) as esbuild.BuildOptions[]).map(o => ({ ...o, write: false, metafile: true, logLevel: 'silent' as const }));
  const [h, w] = await Promise.all([esbuild.build(host!), esbuild.build(webviews!)]);
  return { host: h as never, webviews: w as never };
}

describe('bundles (esbuild metafile)', function () {
  this.timeout(60_000);
  let dev: Awaited<ReturnType<typeof build>>;
  let production: Awaited<ReturnType<typeof build>>;

  before(async () => {
    [dev, production] = await Promise.all([build(false), build(true)]);
  });

  it('dist/extension.js is src/extension.ts alone: no other source module, no dependency', () => {
    const inputs = Object.keys(dev.host.metafile.outputs['dist/extension.js']?.inputs ?? {});
    assert.deepEqual(inputs, ['src/extension.ts']);
  });

  it('puts no source module into both extension host bundles', () => {
    const bundles = sourcesByOutput(dev.host.metafile);
    const runtime = new Set(bundles.get('dist/runtime.js'));
    assert.ok(runtime.has('src/vscode/runtime.ts') && runtime.has('src/node/mcp/session.ts'), 'runtime.js holds the runtime, so the check below means something');
    const inBoth = (bundles.get('dist/extension.js') ?? []).filter(f => runtime.has(f));
    assert.deepEqual(inBoth, []);
  });

  it('keeps the MCP SDK and openai in dist/runtime.js only', () => {
    const inputs = (file: string) => Object.keys(dev.host.metafile.outputs[file]?.inputs ?? {});
    assert.ok(inputs('dist/runtime.js').some(i => i.includes('node_modules/@modelcontextprotocol/client/')));
    assert.ok(inputs('dist/runtime.js').some(i => i.includes('node_modules/openai/')));
    assert.deepEqual(inputs('dist/extension.js').filter(i => i.includes('node_modules')), []);
  });

  it('webview bundles hold only webview and pure code', () => {
    for (const [file, sources] of sourcesByOutput(dev.webviews.metafile)) {
      const foreign = sources.filter(s => !s.startsWith('src/webview/') && !s.startsWith('src/common/'));
      assert.deepEqual(foreign, [], `${file} imports from another runtime`);
    }
  });

  it('has no import cycle among source modules', () => {
    const graph = importGraph([dev.host.metafile, dev.webviews.metafile]);
    assert.ok(graph.size > 50, `the graph covers the sources (${graph.size} modules)`);
    assert.deepEqual(findCycles(graph).map(c => c.join(' → ')), []);
  });

  it('the cycle check finds a cycle when there is one', () => {
    const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    assert.deepEqual(findCycles(graph), [['a', 'b', 'c', 'a']]);
    assert.deepEqual(findCycles(new Map([['a', ['b']], ['b', []]])), []);
  });

  it('compiles the test hooks out of the production build', () => {
    const texts = [...production.host.outputFiles ?? [], ...production.webviews.outputFiles ?? []]
      .filter(f => f.path.endsWith('.js'))
      .map(f => ({ file: f.path, text: f.text }));
    assert.ok(texts.length >= 4, 'the production bundles were built');
    // Each marker is in the development build's bundles of that kind, so its absence below means something.
    const markers = {
      host: ['runtimeLoadedDuringActivation', 'recentLog', 'testReport', 'pwned', 'data-test-hooks', 'inject('],
      webviews: ['testReport', 'pwned', 'handleTestCommand', 'data-test-hooks']
    };
    for (const kind of ['host', 'webviews'] as const) {
      const devText = (dev[kind].outputFiles ?? []).filter(f => f.path.endsWith('.js')).map(f => f.text).join('\n');
      for (const marker of markers[kind]) {
        assert.ok(devText.includes(marker), `the development ${kind} build has ${marker}, so its absence below means something`);
        for (const { file, text } of texts) {
          assert.ok(!text.includes(marker), `${file} contains the test hook ${marker}`);
        }
      }
    }
  });
});
