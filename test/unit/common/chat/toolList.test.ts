import assert from 'node:assert/strict';
import { toolListMarkdown } from '../../../../src/common/chat/toolList';
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
