import assert from 'node:assert/strict';
import { readableText, resultToText } from '../../../../src/common/chat/results';

describe('tool results as text', () => {
  it('structured content without text is pretty-printed JSON, not one minified line', () => {
    const text = resultToText({ content: [], structuredContent: { city: 'Zurich', forecast: [{ day: 1, condition: 'sunny' }] } });
    assert.equal(text, '{\n  "city": "Zurich",\n  "forecast": [\n    {\n      "day": 1,\n      "condition": "sunny"\n    }\n  ]\n}');
  });

  it('text content is passed on as the server wrote it', () => {
    assert.equal(resultToText({ content: [{ type: 'text', text: '{"a":1}' }], structuredContent: { a: 1 } }), '{"a":1}');
  });
});

describe('tool results shown in chat', () => {
  it('a JSON text is shown indented', () => {
    assert.equal(readableText('{"a":1,"b":[true,null]}'), '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}');
    assert.equal(readableText('  [1,2]  '), '[\n  1,\n  2\n]');
  });

  it('text that only looks like JSON is left alone', () => {
    assert.equal(readableText('{not json}'), '{not json}');
    assert.equal(readableText('42'), '42', 'a bare JSON number is text');
  });

  it('long lines wrap at a space before the width; short lines and line breaks stay', () => {
    const long = 'word '.repeat(50).trim();
    const wrapped = readableText(`short line\n${long}`, 40);
    const lines = wrapped.split('\n');
    assert.equal(lines[0], 'short line');
    assert.ok(lines.every(l => l.length <= 40), JSON.stringify(lines));
    assert.equal(lines.slice(1).join(' '), long, 'nothing lost but the spaces where lines broke');
  });

  it('a word longer than the width is cut, so no line is endless', () => {
    const lines = readableText('x'.repeat(250), 100).split('\n');
    assert.deepEqual(lines.map(l => l.length), [100, 100, 50]);
  });

  it('JSON with a long string value keeps its value whole (it is data, and stays valid JSON)', () => {
    const value = 'y'.repeat(300);
    assert.equal(JSON.parse(readableText(JSON.stringify({ value }), 100)).value, value);
  });
});
