import assert from 'node:assert/strict';
import type { CallToolResult, Tool } from '@modelcontextprotocol/client';
import { historyMessages } from '../../../../src/common/chat/history';
import { capText, resultToText, wrapUntrusted } from '../../../../src/common/chat/results';
import { buildToolCatalog, relevanceScores, sanitizeName, toolSkeleton, toToolSpec, tokenize, unusableReason } from '../../../../src/common/chat/tools';
import { ArgumentValidator } from '../../../../src/common/chat/validation';
import { OPENAI_TOOL_NAME_RULES } from '../../../../src/common/llm/types';

const tool = (name: string, description = '', inputSchema: Tool['inputSchema'] = { type: 'object' }): Tool => ({ name, description, inputSchema });
const VALID = /^[a-zA-Z0-9_-]{1,64}$/;
const options = (prompt = '', maxTools = 128) => ({ rules: OPENAI_TOOL_NAME_RULES, maxTools, prompt });

describe('tool catalog: names', () => {
  it('namespaces per server and keeps plain names', () => {
    const c = buildToolCatalog([{ name: 'contoso', tools: [tool('get_weather')] }, { name: 'fabrikam', tools: [tool('get_weather')] }], options());
    assert.deepEqual(c.entries.map(e => e.exposedName), ['contoso__get_weather', 'fabrikam__get_weather']);
    assert.equal(c.byExposedName.get('fabrikam__get_weather')?.server, 'fabrikam');
    assert.deepEqual(c.collisions, []);
  });

  it('sanitises every name to the provider rules and maps back exactly', () => {
    const names = ['a.b', 'spaces in name', 'ünïcödé', '天気', 'x'.repeat(200), 'emoji😀tool', 'slash/and\\back', ''];
    const c = buildToolCatalog([{ name: 'my server (prod)', tools: names.map(n => tool(n)) }], options());
    for (const e of c.entries) {
      assert.match(e.exposedName, VALID, e.exposedName);
      assert.equal(c.byExposedName.get(e.exposedName)?.tool.name, e.tool.name);
    }
    assert.equal(new Set(c.entries.map(e => e.exposedName)).size, names.length);
  });

  it('flags names that collide after sanitising and gives each a distinct name; the unchanged one keeps the plain name', () => {
    const c = buildToolCatalog([{ name: 's', tools: [tool('get.weather'), tool('get_weather'), tool('get weather')] }], options());
    assert.equal(c.collisions.length, 1);
    assert.equal(c.collisions[0]!.exposedName, 's__get_weather');
    assert.deepEqual([...c.collisions[0]!.tools].sort(), ['s/get weather', 's/get.weather', 's/get_weather']);
    assert.equal(c.byExposedName.get('s__get_weather')?.tool.name, 'get_weather');
    assert.equal(c.byExposedName.size, 3);
    // Same input in another order: same names (deterministic, not order dependent).
    const again = buildToolCatalog([{ name: 's', tools: [tool('get weather'), tool('get_weather'), tool('get.weather')] }], options());
    const names = (cat: typeof c) => new Map(cat.entries.map(e => [e.tool.name, e.exposedName]));
    assert.deepEqual(names(again), names(c));
  });

  it('long names that agree in their first 38 characters stay distinct', () => {
    const long = 'a'.repeat(70);
    const c = buildToolCatalog([{ name: 'srv', tools: [tool(`${long}1`), tool(`${long}2`)] }], options());
    assert.equal(c.byExposedName.size, 2);
    assert.equal(c.collisions.length, 1);
    for (const e of c.entries) {
      assert.match(e.exposedName, VALID);
    }
  });

  it('two servers whose names sanitise alike get distinct namespaces', () => {
    const c = buildToolCatalog([{ name: 'a.b', tools: [tool('t')] }, { name: 'a b', tools: [tool('t')] }], options());
    assert.equal(c.byExposedName.size, 2);
    assert.deepEqual(c.entries.map(e => e.server), ['a.b', 'a b']);
  });

  it('sanitizeName never returns more than asked', () => {
    assert.equal(sanitizeName('abc', OPENAI_TOOL_NAME_RULES, -5), '');
    assert.equal(sanitizeName('a-b_c.d', OPENAI_TOOL_NAME_RULES), 'a-b_c_d');
  });
});

describe('tool catalog: same and look-alike names across servers', () => {
  const lookalikes = (...servers: [string, string[]][]) =>
    buildToolCatalog(servers.map(([name, tools]) => ({ name, tools: tools.map(t => tool(t)) })), options()).lookalikes;

  it('flags the same name offered by two servers', () => {
    assert.deepEqual(lookalikes(['contoso', ['get_weather', 'send_mail']], ['fabrikam', ['get_weather']]), [
      { kind: 'same', tools: ['contoso/get_weather', 'fabrikam/get_weather'] }
    ]);
  });

  it('flags Cyrillic е or о passed off as Latin letters, and other confusables', () => {
    assert.deepEqual(lookalikes(['a', ['get_weather']], ['b', ['get_w\u0435ather']]), [
      { kind: 'lookalike', tools: ['a/get_weather', 'b/get_w\u0435ather'] }
    ]);
    assert.deepEqual(lookalikes(['a', ['lookup']], ['b', ['l\u043e\u043ekup']]).map(g => g.kind), ['lookalike']);
    assert.deepEqual(lookalikes(['a', ['list_files']], ['b', ['\u04cf\u0456st_fi1es']]).map(g => g.kind), ['lookalike']);
    assert.equal(toolSkeleton('\u0441\u043e\u0440\u0443'), 'copy');
    assert.equal(toolSkeleton('\u03bf\u03b1\u03bd'), 'oav');
    assert.equal(toolSkeleton('ＧＥＴ'), 'get', 'NFKC folds full-width letters');
    assert.equal(toolSkeleton('rnodify|vvorld_0'), 'modlfylworldo');
  });

  it('flags names equal once case and separators are ignored: get-weather, get_weather, getWeather', () => {
    assert.deepEqual(lookalikes(['a', ['get_weather']], ['b', ['get-weather']], ['c', ['getWeather', 'get.weather']]), [
      { kind: 'lookalike', tools: ['a/get_weather', 'b/get-weather', 'c/get.weather', 'c/getWeather'] }
    ]);
  });

  it('flags a zero-width or invisible character hidden in a name', () => {
    for (const hidden of ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad']) {
      assert.deepEqual(lookalikes(['a', ['delete_file']], ['b', [`delete${hidden}_file`]]), [
        { kind: 'lookalike', tools: ['a/delete_file', `b/delete${hidden}_file`] }
      ], JSON.stringify(hidden));
    }
  });

  it('does not flag look-alike names on one server, nor unrelated names', () => {
    assert.deepEqual(lookalikes(['a', ['get_weather', 'get-weather', 'getWeather', 'get_w\u0435ather']]), []);
    assert.deepEqual(lookalikes(['a', ['get_weather', 'send_mail']], ['b', ['get_forecast', 'read_mail', 'weather']]), []);
  });

  it('lists every member, counts only usable tools, and is the same in any order', () => {
    const needsTask = { ...tool('send_mail'), execution: { taskSupport: 'required' } } as Tool;
    const servers = [
      { name: 'b', tools: [tool('get_weather'), tool('get-weather'), tool('send_mail')] },
      { name: 'a', tools: [tool('get_weather'), tool('getweather')] },
      { name: 'c', tools: [needsTask] }
    ];
    const expected = [
      { kind: 'lookalike', tools: ['a/get_weather', 'a/getweather', 'b/get-weather', 'b/get_weather'] },
      { kind: 'same', tools: ['a/get_weather', 'b/get_weather'] }
    ];
    assert.deepEqual(buildToolCatalog(servers, options()).lookalikes, expected);
    const reversed = [...servers].reverse().map(s => ({ ...s, tools: [...s.tools].reverse() }));
    assert.deepEqual(buildToolCatalog(reversed, options('', 1)).lookalikes, expected, 'over all tools, not only the one offered');
  });
});

describe('tool catalog: choosing the most relevant', () => {
  const filler = Array.from({ length: 300 }, (_, i) => tool(`item_op_${i}`, `Operation ${i} on stock items in the warehouse.`));
  const servers = [{ name: 'big', tools: [...filler, tool('get_weather', 'Current weather for a city.'), tool('send_mail', 'Sends an e-mail message.')] }];

  it('narrows to the limit, keeping what the prompt is about, deterministically', () => {
    const c = buildToolCatalog(servers, options('What is the weather in Paris?', 10));
    assert.equal(c.entries.length, 10);
    assert.equal(c.total, 302);
    assert.equal(c.entries.some(e => e.tool.name === 'get_weather'), true);
    assert.deepEqual(buildToolCatalog(servers, options('What is the weather in Paris?', 10)).entries.map(e => e.exposedName), c.entries.map(e => e.exposedName));
  });

  it('keeps tools used in earlier turns even when the prompt does not mention them', () => {
    const c = buildToolCatalog(servers, { ...options('and now in Rome?', 5), recentlyUsed: new Set(['big/get_weather']) });
    assert.equal(c.entries.some(e => e.tool.name === 'get_weather'), true);
  });

  it('weights rare words above common ones, names above descriptions', () => {
    const scores = relevanceScores([tool('list_items', 'Lists items.'), tool('mail_items', 'Sends items by mail.'), tool('x', 'mail')], 'mail the items');
    assert.ok(scores[1]! > scores[0]!);
    assert.ok(scores[1]! > scores[2]!);
  });

  it('tokenizes snake, kebab and camel case and drops stopwords', () => {
    assert.deepEqual(tokenize('getWeatherForecast for the city_names'), ['weather', 'forecast', 'city', 'name']);
  });
});

describe('tool specs', () => {
  it('caps long descriptions and oversized schemas, and drops $schema', () => {
    const big = tool('t', 'd'.repeat(5000), { type: 'object', $schema: 'https://json-schema.org/draft/2020-12/schema', properties: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`p${i}`, { type: 'string' }])) } as Tool['inputSchema']);
    const spec = toToolSpec({ exposedName: 's__t', server: 's', tool: big });
    assert.ok(spec.description.length < 1100);
    assert.match(spec.description, /truncated/);
    assert.deepEqual(Object.keys(spec.parameters).sort(), ['additionalProperties', 'description', 'type']);
    const small = toToolSpec({ exposedName: 's__u', server: 's', tool: tool('u', 'ok', { type: 'object', $schema: 'x', properties: { a: { type: 'string' } } } as Tool['inputSchema']) });
    assert.equal('$schema' in small.parameters, false);
    assert.deepEqual(small.parameters.properties, { a: { type: 'string' } });
  });
});

describe('argument validation', () => {
  const v = new ArgumentValidator();
  const t = tool('t', '', { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'], additionalProperties: false });

  it('accepts matching arguments and treats an empty string as {}', () => {
    assert.deepEqual(v.check(t, '{"n": 3}'), { ok: true, args: { n: 3 } });
    assert.deepEqual(v.check(tool('none'), ''), { ok: true, args: {} });
  });

  it('refuses bad JSON, non-objects and schema violations', () => {
    for (const raw of ['{', '[1]', '"s"', 'null', '{"n": 0}', '{"n": 1, "extra": true}', '{}']) {
      assert.equal(v.check(t, raw).ok, false, raw);
    }
  });

  it('fails closed on a schema it cannot compile, and ignores a hostile $id', () => {
    const broken = tool('b', '', { type: 'object', properties: { a: { $ref: '#/nowhere' } } } as Tool['inputSchema']);
    const r = v.check(broken, '{"a": 1}');
    assert.equal(r.ok, false);
    const a = tool('a', '', { type: 'object', $id: 'urn:same', properties: { x: { type: 'string' } }, required: ['x'] } as Tool['inputSchema']);
    const b = tool('b2', '', { type: 'object', $id: 'urn:same' } as Tool['inputSchema']);
    assert.equal(v.check(a, '{}').ok, false);
    assert.equal(v.check(b, '{}').ok, true);
  });
});

describe('results for the model', () => {
  it('flattens content to text and names what it leaves out', () => {
    const r: CallToolResult = {
      content: [
        { type: 'text', text: 'hello' },
        { type: 'image', data: 'AAAA', mimeType: 'image/png' },
        { type: 'resource', resource: { uri: 'file:///a', text: 'inner' } },
        { type: 'resource', resource: { uri: 'file:///b', blob: 'AAAA' } }
      ]
    };
    assert.equal(resultToText(r), 'hello\n[image (image/png) omitted]\ninner\n[binary resource file:///b omitted]');
    assert.equal(resultToText({ content: [], structuredContent: { a: 1 } }), '{\n  "a": 1\n}');
  });

  it('caps with a visible note and never splits a surrogate pair', () => {
    assert.deepEqual(capText('abc', 3), { text: 'abc', totalChars: 3, truncated: false });
    const capped = capText(`${'a'.repeat(9)}😀tail`, 10);
    assert.equal(capped.truncated, true);
    assert.ok(capped.text.startsWith(`${'a'.repeat(9)}\n[… truncated`));
  });

  it('fences text with a fresh boundary the text does not contain', () => {
    let n = 0;
    const wrapped = wrapUntrusted('Result.', 'text with B0 inside', () => `B${n++}`);
    assert.match(wrapped, /<<<untrusted-data boundary=B1>>>\ntext with B0 inside\n<<<end-untrusted-data boundary=B1>>>$/);
    const real = wrapUntrusted('Result.', 'x');
    assert.match(real, /boundary=[A-Za-z0-9_-]{24}>>>/);
  });
});

describe('history', () => {
  it('keeps the newest turns within the budget and starts with the user', () => {
    const msgs = historyMessages([
      { role: 'user', text: 'old question '.repeat(100) },
      { role: 'assistant', text: 'old answer' },
      { role: 'user', text: 'q2' },
      { role: 'assistant', text: 'a2', toolCalls: [{ server: 's', tool: 't', outcome: 'declined' }] }
    ], 200);
    assert.deepEqual(msgs.map(m => m.role), ['user', 'assistant']);
    assert.match((msgs[1] as { content: string }).content, /s\/t \(declined\)/);
  });
});

describe('tool catalog: tools this client cannot call', () => {
  const needsTask = (name: string, taskSupport: string): Tool => ({ ...tool(name), execution: { taskSupport } } as Tool);

  it('never offers a tool that requires task-based execution, and says why', () => {
    const c = buildToolCatalog([{ name: 'everything', tools: [tool('echo'), needsTask('research', 'required'), needsTask('maybe', 'optional')] }], options());
    assert.deepEqual(c.entries.map(e => e.tool.name), ['echo', 'maybe']);
    assert.match(c.unusable.get('everything/research') ?? '', /task-based execution/);
    assert.equal(unusableReason(needsTask('maybe', 'optional')), undefined);
    assert.equal(unusableReason(tool('echo')), undefined);
  });
});

describe('argument validation that cannot throw (docs/security.md E8)', () => {
  it('refuses arguments nested 20,000 deep against a self-referencing schema, instead of throwing', () => {
    const recursive = tool('tree', '', {
      type: 'object',
      properties: { node: { $ref: '#/$defs/node' } },
      $defs: { node: { type: 'object', properties: { child: { $ref: '#/$defs/node' } } } }
    } as Tool['inputSchema']);
    const deep = `{"node":${'{"child":'.repeat(20_000)}{}${'}'.repeat(20_000)}}`;
    const result = new ArgumentValidator().check(recursive, deep);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /nested too deeply|cannot be checked/);
  });
});
