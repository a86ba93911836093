import assert from 'node:assert/strict';
import { buildFormModel, initialValues, validateForm, type FormModel } from '../../../../src/common/elicitation/form';

const WORLD_SCHEMA = {
  type: 'object',
  properties: {
    reason: { type: 'string', title: 'Reason', description: 'Why this action is needed', minLength: 1, maxLength: 200, default: 'Routine maintenance' },
    quantity: { type: 'integer', title: 'Quantity', minimum: 1, maximum: 10, default: 1 },
    budget: { type: 'number', title: 'Budget (EUR)', minimum: 0, default: 9.5 },
    notify: { type: 'boolean', title: 'Notify the team', default: true },
    priority: { type: 'string', title: 'Priority', enum: ['low', 'normal', 'high'], default: 'normal' }
  },
  required: ['reason', 'priority']
};

function model(schema: unknown): FormModel {
  const r = buildFormModel(schema);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.model;
}

describe('elicitation form model', () => {
  it('builds every field type with defaults, required flags and bounds', () => {
    const m = model(WORLD_SCHEMA);
    assert.deepEqual(m.fields.map(f => [f.name, f.kind, f.required]), [
      ['reason', 'string', true], ['quantity', 'integer', false], ['budget', 'number', false], ['notify', 'boolean', false], ['priority', 'enum', true]
    ]);
    assert.deepEqual(initialValues(m), { reason: 'Routine maintenance', quantity: '1', budget: '9.5', notify: true, priority: 'normal' });
    const q = m.fields[1];
    assert.ok(q.kind === 'integer' && q.minimum === 1 && q.maximum === 10);
  });

  it('reads string formats', () => {
    const m = model({ type: 'object', properties: { e: { type: 'string', format: 'email' }, u: { type: 'string', format: 'uri' }, d: { type: 'string', format: 'date' }, t: { type: 'string', format: 'date-time' } } });
    assert.deepEqual(m.fields.map(f => f.kind === 'string' ? f.format : undefined), ['email', 'uri', 'date', 'date-time']);
  });

  it('reads enum titles from oneOf, enumNames and plain enum', () => {
    const m = model({
      type: 'object',
      properties: {
        a: { type: 'string', oneOf: [{ const: 'r', title: 'Red' }, { const: 'g', title: 'Green' }] },
        b: { type: 'string', enum: ['s', 'm'], enumNames: ['Small', 'Medium'] },
        c: { type: 'string', enum: ['x', 'y'] },
        d: { type: 'array', items: { anyOf: [{ const: 'one', title: 'One' }, { const: 'two', title: 'Two' }] }, minItems: 1, default: ['two', 'bogus'] }
      }
    });
    const opts = m.fields.map(f => f.kind === 'enum' || f.kind === 'multiEnum' ? f.options.map(o => `${o.value}=${o.title}`).join(',') : '');
    assert.deepEqual(opts, ['r=Red,g=Green', 's=Small,m=Medium', 'x=x,y=y', 'one=One,two=Two']);
    assert.deepEqual(initialValues(m).d, ['two'], 'defaults outside the options are dropped');
  });

  it('rejects unusable schemas', () => {
    for (const bad of [
      null, 'x', { type: 'array' }, { type: 'object', properties: [] },
      { type: 'object', properties: { a: { type: 'object' } } },
      { type: 'object', properties: { a: { type: 'string', format: 'regex' } } },
      { type: 'object', properties: { a: { type: 'string', enum: [1, 2] } } },
      { type: 'object', properties: {}, required: ['ghost'] },
      { type: 'object', properties: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`f${i}`, { type: 'string' }])) }
    ]) {
      assert.equal(buildFormModel(bad).ok, false, JSON.stringify(bad)?.slice(0, 80));
    }
  });
});

describe('elicitation form validation', () => {
  const m = model(WORLD_SCHEMA);

  it('accepts the defaults and returns typed content', () => {
    const r = validateForm(m, initialValues(m));
    assert.deepEqual(r, { ok: true, content: { reason: 'Routine maintenance', quantity: 1, budget: 9.5, notify: true, priority: 'normal' } });
  });

  it('omits empty optional fields', () => {
    const r = validateForm(m, { reason: 'x', quantity: '', budget: '', priority: 'low' });
    assert.deepEqual(r, { ok: true, content: { reason: 'x', priority: 'low' } });
  });

  it('reports required, bounds, integer, enum and unknown-field errors per field', () => {
    const r = validateForm(m, { reason: '', quantity: '11', budget: '-1', notify: 'yes' as unknown as boolean, priority: 'urgent', extra: 'x' });
    assert.ok(!r.ok);
    assert.deepEqual(Object.keys(r.errors).sort(), ['budget', 'extra', 'notify', 'priority', 'quantity', 'reason']);
    assert.match(r.errors.quantity, /at most 10/);
    assert.equal(validateForm(m, { reason: 'x', priority: 'low', quantity: '1.5' }).ok, false);
    assert.equal(validateForm(m, { reason: 'x', priority: 'low', quantity: '1e400' }).ok, false);
    assert.equal(validateForm(m, { reason: 'x', priority: 'low', budget: 'abc' }).ok, false);
    assert.equal(validateForm(m, { reason: 'x'.repeat(201), priority: 'low' }).ok, false);
  });

  it('validates formats', () => {
    const f = model({ type: 'object', properties: { e: { type: 'string', format: 'email' }, u: { type: 'string', format: 'uri' }, d: { type: 'string', format: 'date' }, t: { type: 'string', format: 'date-time' } } });
    assert.ok(validateForm(f, { e: 'a@b.example', u: 'https://x.example', d: '2024-02-29', t: '2024-02-29T13:45:00Z' }).ok);
    for (const [k, v] of [['e', 'not-an-email'], ['u', 'no url'], ['d', '2023-02-29'], ['d', '29.02.2024'], ['t', '2024-02-29 13:45'], ['t', '2024-02-29T25:00:00Z']]) {
      assert.equal(validateForm(f, { [k]: v }).ok, false, `${k}=${v}`);
    }
  });

  it('validates multi-select lists', () => {
    const f = model({ type: 'object', properties: { d: { type: 'array', items: { enum: ['a', 'b', 'c'] }, minItems: 1, maxItems: 2 } }, required: ['d'] });
    assert.deepEqual(validateForm(f, { d: ['a', 'a', 'b'] }), { ok: true, content: { d: ['a', 'b'] } });
    assert.equal(validateForm(f, { d: [] }).ok, false);
    assert.equal(validateForm(f, { d: ['a', 'b', 'c'] }).ok, false);
    assert.equal(validateForm(f, { d: ['z'] }).ok, false);
  });

  it('lets an optional multi-select with minItems be left empty; only a chosen list is held to minItems', () => {
    const f = model({ type: 'object', properties: { d: { type: 'array', items: { enum: ['a', 'b', 'c'] }, minItems: 2 } } });
    assert.deepEqual(validateForm(f, { d: [] }), { ok: true, content: {} });
    assert.deepEqual(validateForm(f, {}), { ok: true, content: {} });
    assert.equal(validateForm(f, { d: ['a'] }).ok, false, 'one chosen is fewer than minItems');
    assert.deepEqual(validateForm(f, { d: ['a', 'c'] }), { ok: true, content: { d: ['a', 'c'] } });
  });

  it('does not let __proto__ or constructor keys through', () => {
    const values = JSON.parse('{"__proto__": "x", "reason": "r", "priority": "low"}') as Record<string, string>;
    assert.equal(validateForm(m, values).ok, false);
  });
});
