import assert from 'node:assert/strict';
import type { Tool } from '@modelcontextprotocol/client';
import { destructiveReason } from '../../../../src/common/approval/destructive';
import { approvalStrings } from '../../../../src/common/approval/strings';
import { annotationClaims, approvalView, offeredChoices } from '../../../../src/common/approval/view';
import { call, tool } from '../../../support/tools';

const strings = approvalStrings(message => message);
const DELETE: Tool = tool({ name: 'delete_item', title: 'Delete item', annotations: { destructiveHint: true, readOnlyHint: false, idempotentHint: true, openWorldHint: false } });

function view(annotations: Tool['annotations'], offerPersistent = true) {
  return approvalView({ call: call(tool({ annotations })), definitionHash: 'h'.repeat(64), offerPersistent }, 0, strings);
}

describe('approval panel model', () => {
  describe('which calls count as destructive (E9)', () => {
    it('a tool that says destructiveHint true, whatever else it says', () => {
      assert.equal(destructiveReason({ destructiveHint: true }), 'claimed');
      assert.equal(destructiveReason({ destructiveHint: true, readOnlyHint: false }), 'claimed');
      assert.equal(destructiveReason({ destructiveHint: true, readOnlyHint: true }), 'claimed', 'a contradicting read-only claim does not lower it');
    });

    it('a tool that says nothing, or only that it is not read-only: the spec\'s defaults make it destructive', () => {
      assert.equal(destructiveReason(undefined), 'default');
      assert.equal(destructiveReason({}), 'default');
      assert.equal(destructiveReason({ readOnlyHint: false }), 'default');
      assert.equal(destructiveReason({ title: 'Harmless', idempotentHint: true, openWorldHint: false }), 'default');
    });

    it('a claim of readOnlyHint true or destructiveHint false gives the ordinary panel', () => {
      assert.equal(destructiveReason({ readOnlyHint: true }), undefined);
      assert.equal(destructiveReason({ destructiveHint: false }), undefined);
      assert.equal(destructiveReason({ readOnlyHint: false, destructiveHint: false }), undefined);
    });

    it('only literal booleans count: a string "true" for readOnlyHint is no claim', () => {
      assert.equal(destructiveReason({ readOnlyHint: 'true' } as unknown as Tool['annotations']), 'default');
      assert.equal(destructiveReason({ destructiveHint: 'false' } as unknown as Tool['annotations']), 'default');
      assert.equal(destructiveReason({ destructiveHint: 0 } as unknown as Tool['annotations']), 'default');
    });
  });

  describe('the choices offered', () => {
    it('a destructive call offers Decline and Approve only, even with "always approve" enabled', () => {
      assert.deepEqual(offeredChoices({ call: call(DELETE), offerPersistent: true }), ['decline', 'approve']);
      assert.deepEqual(offeredChoices({ call: call(tool({ annotations: undefined })), offerPersistent: false }), ['decline', 'approve']);
    });

    it('a tool claiming readOnlyHint or destructiveHint false gets the ordinary choices, never fewer', () => {
      assert.deepEqual(offeredChoices({ call: call(tool({ annotations: { readOnlyHint: true } })), offerPersistent: false }), ['decline', 'approve', 'approveSession']);
      assert.deepEqual(offeredChoices({ call: call(tool({ annotations: { destructiveHint: false } })), offerPersistent: true }), ['decline', 'approve', 'approveSession', 'approvePersistent']);
    });
  });

  describe('the view of one call', () => {
    it('a destructive call: marked with its reason and offering no grant beyond the call', () => {
      const v = approvalView({ call: call(DELETE, { id: 'item-1' }), definitionHash: 'h'.repeat(64), offerPersistent: true }, 1234, strings);
      assert.equal(v.destructive, 'claimed');
      assert.deepEqual(v.choices, ['decline', 'approve']);
      assert.deepEqual(v.args, { id: 'item-1' });
      assert.equal(v.deadline, 1234);
      assert.equal(view(undefined).destructive, 'default');
    });

    it('a read-only claim: not marked, the ordinary choices', () => {
      const v = view({ readOnlyHint: true, openWorldHint: true }, false);
      assert.equal(v.destructive, undefined);
      assert.deepEqual(v.choices, ['decline', 'approve', 'approveSession']);
    });

    it('the warnings say what the user should do, in words', () => {
      assert.equal(strings.destructiveClaimed, 'This tool says it may delete or change data. Check the arguments before you approve.');
      assert.equal(strings.destructiveDefault, 'This tool does not say that it only reads data, so it may delete or change data. Check the arguments before you approve.');
      assert.equal(strings.confirmDestructive, 'I have checked the arguments');
    });
  });

  describe('annotations in words', () => {
    it('each hint becomes a sentence, never "destructiveHint true"', () => {
      const claims = annotationClaims(DELETE.annotations, strings);
      assert.deepEqual(claims, [
        { name: 'destructiveHint', text: 'May delete or overwrite data' },
        { name: 'readOnlyHint', text: 'May change data' },
        { name: 'idempotentHint', text: 'Calling it again with the same arguments changes nothing more' },
        { name: 'openWorldHint', text: 'Stays within the server\'s own system' }
      ]);
      assert.ok(claims.every(c => !/Hint|true|false/.test(c.text)), JSON.stringify(claims));
    });

    it('the opposite claims read as their own sentences', () => {
      assert.deepEqual(annotationClaims({ readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true }, strings).map(c => c.text), [
        'Only reads data', 'Never deletes or overwrites data', 'Calling it again may change more', 'Reaches systems outside the server, such as the internet'
      ]);
    });

    it('a title and unknown or mistyped annotations are shown as the server sent them, with no placeholder read in them', () => {
      const odd = { title: 'Wipe {1} $& all', readOnlyHint: 'yes', x: { y: 1 }, z: undefined } as unknown as Tool['annotations'];
      assert.deepEqual(annotationClaims(odd, strings), [
        { name: 'title', text: 'Display name: Wipe {1} $& all' },
        { name: 'readOnlyHint', text: 'readOnlyHint: yes' },
        { name: 'x', text: 'x: {"y":1}' }
      ]);
    });

    it('no annotations, no claims', () => {
      assert.deepEqual(annotationClaims(undefined, strings), []);
    });
  });
});
