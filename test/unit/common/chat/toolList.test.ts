import assert from 'node:assert/strict';
import { toolDetailsMarkdown, toolListMarkdown } from '../../../../src/common/chat/toolList';
import { plainL10n } from '../../../../src/common/l10n';
import { tool } from '../../../support/tools';

const words = { claims: (h: string) => `(claims: ${h})`, notOffered: (why: string) => `(not offered to the model: ${why})` };

describe('/tools as one Markdown list', () => {
  it('puts each tool on one list line: name, description, claims; never a paragraph per piece', () => {
    const md = toolListMarkdown([
      tool({ name: 'get_weather', description: 'Current weather\nfor a city.', annotations: { readOnlyHint: true, openWorldHint: false } }),
      tool({ name: 'delete_item', description: '', annotations: {} })
    ], words);
    assert.deepEqual(md.split('\n').filter(Boolean), [
      '- **get\\_weather**: Current weather for a city\\. \\(claims\\: readOnlyHint\\)',
      '- **delete\\_item**'
    ]);
  });

  it('keeps server text inert: links, emphasis and HTML stay literal, a line break cannot start a new item', () => {
    const md = toolListMarkdown([tool({ name: 'x', description: '[click](command:evil) **bold** <img src=x>\n- fake item' })], words);
    assert.equal(md.split('\n').filter(Boolean).length, 1);
    assert.ok(md.includes('\\[click\\]\\(command\\:evil\\)') && md.includes('\\<img'), md);
    assert.doesNotMatch(md, /(^|[^\\])[<[(]/, 'no unescaped bracket or angle');
  });

  it('says why a tool is not offered to the model', () => {
    const md = toolListMarkdown([tool({ name: 'job', execution: { taskSupport: 'required' } })], words);
    assert.match(md, /not offered to the model\\: it requires task\\-based execution/);
  });
});

describe('a tool picked in Show Tools, described', () => {
  const weather = tool({
    name: 'get_weather',
    title: 'Weather',
    description: 'Current weather\nfor a city.',
    inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    outputSchema: { type: 'object', properties: { condition: { type: 'string' } } },
    annotations: { readOnlyHint: true, openWorldHint: false }
  });

  it('names the tool and its server, then description, annotations as claims, both schemas pretty-printed, and how to call it', () => {
    const md = toolDetailsMarkdown(weather, 'mcp.contoso.example', plainL10n);
    assert.match(md, /^# Weather\n/);
    assert.ok(md.includes('` get_weather ` on mcp\\.contoso\\.example'), md);
    assert.ok(md.includes('claims made by the server'));
    assert.ok(md.includes('Current weather  \nfor a city\\.'), 'the description keeps its line breaks, escaped');
    assert.ok(md.includes('- readOnlyHint: ` true `') && md.includes('- openWorldHint: ` false `'), md);
    assert.ok(md.includes('```json\n{\n  "type": "object",\n  "properties": {\n    "city": {'), 'the input schema, indented');
    assert.ok(md.includes('## Output schema'));
    assert.ok(md.includes('` @secure-mcp /call get_weather {…} `'));
  });

  it('says when there is no description, annotation or output schema', () => {
    const md = toolDetailsMarkdown(tool({ name: 'bare', title: undefined, description: undefined, annotations: undefined, outputSchema: undefined }), 'x', plainL10n);
    assert.match(md, /^# bare\n/);
    assert.ok(md.includes('No description.') && md.includes('No annotations.'), md);
    assert.ok(!md.includes('## Output schema'));
  });

  it('keeps server text inert: a title, description or annotation cannot link or add HTML, a schema cannot close its fence', () => {
    const md = toolDetailsMarkdown(tool({
      name: 'x',
      title: '[click](command:evil) <img src=x>',
      description: '<script>alert(1)</script> ![i](https://evil.example/i.png)',
      inputSchema: { type: 'object', properties: { a: { type: 'string', description: '```\n# injected heading\n```' } } },
      annotations: { '[a](command:x)': 'y' } as never
    }), 'h', plainL10n);
    assert.doesNotMatch(md, /(^|[^\\])<(img|script)/);
    assert.doesNotMatch(md, /(^|[^\\])\[click\]/);
    assert.doesNotMatch(md, /(^|[^\\])!\[/);
    assert.doesNotMatch(md, /^# injected heading$/m);
    const fence = /^(`{3,})json$/m.exec(md)?.[1] ?? '';
    assert.ok(fence.length > 3, 'a longer fence than the backticks inside');
  });
});
