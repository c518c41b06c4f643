import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../schema/index.js';
import type { Context } from '../schema/context.js';
import { compilePayload, PayloadError, renderPayload } from './payload.js';

describe("compilePayload: a callback's payload selection, checked once at start", () => {
  it("turns createdNode into a lookup of the node by the delivery's node id", () => {
    const compiled = compilePayload(schema, 'Purchase', 'created', '{ createdNode { id amount user { id } } }');
    expect(print(compiled.liveQuery!).replace(/\s+/g, ' ')).toBe(
      'query ($nodeId: ID!) { createdNode: Purchase(id: $nodeId) { id amount user { id } } }',
    );
    expect(compiled.snapshotParts).toEqual([]);
  });

  it('answers previousValues and changedFields of an update from the commit-time facts, keeping aliases', () => {
    const compiled = compilePayload(
      schema,
      'Purchase',
      'updated',
      '{ before: previousValues { paid: isPaid amount } changedFields }',
    );
    expect(compiled.liveQuery).toBeNull();
    expect(compiled.snapshotParts).toEqual([
      {
        alias: 'before',
        fields: [
          { alias: 'paid', name: 'isPaid' },
          { alias: 'amount', name: 'amount' },
        ],
      },
    ]);
    expect(compiled.changedFieldsAlias).toBe('changedFields');
  });

  it('refuses what it cannot answer, naming the problem', () => {
    const refused = (model: 'Purchase', operation: 'created' | 'updated' | 'deleted', text: string) => () =>
      compilePayload(schema, model, operation, text);
    expect(refused('Purchase', 'created', '{ createdNode { id ')).toThrow(PayloadError);
    expect(refused('Purchase', 'created', '{ deletedNode { id } }')).toThrow(
      /offer createdNode; "deletedNode" is not one of them/,
    );
    expect(refused('Purchase', 'updated', '{ previousValues { user { id } } }')).toThrow(
      /relation; snapshots hold scalar fields only/,
    );
    expect(refused('Purchase', 'deleted', '{ deletedNode { price } }')).toThrow(/has no field "price"/);
    expect(refused('Purchase', 'created', '{ createdNode { price } }')).toThrow(/price/);
    expect(refused('Purchase', 'created', '{ createdNode }')).toThrow(/needs a selection/);
  });
  it('refuses a snapshot field only its owner may read, as the live query would; fields for services stay', () => {
    expect(() => compilePayload(schema, 'Purchase', 'updated', '{ previousValues { id clientSecret } }')).toThrow(
      /previousValues\.clientSecret has its own access rule/,
    );
    expect(() => compilePayload(schema, 'CardDetails', 'deleted', '{ deletedNode { id setupClientSecret } }')).toThrow(
      /deletedNode\.setupClientSecret has its own access rule/,
    );
    expect(compilePayload(schema, 'CardDetails', 'deleted', '{ deletedNode { id cardToken } }').snapshotParts).toEqual([
      {
        alias: 'deletedNode',
        fields: [
          { alias: 'id', name: 'id' },
          { alias: 'cardToken', name: 'cardToken' },
        ],
      },
    ]);
  });
});

describe('renderPayload without a live query', () => {
  it('reads the snapshot and the changed fields, and null for a missing snapshot', async () => {
    const input = { schema, context: {} as Context, nodeId: 'p1', changedFields: ['isPaid'] };
    const compiled = compilePayload(schema, 'Purchase', 'updated', '{ previousValues { isPaid } changedFields }');
    expect(await renderPayload(compiled, { ...input, snapshot: { id: 'p1', isPaid: false } })).toEqual({
      previousValues: { isPaid: false },
      changedFields: ['isPaid'],
    });
    expect(await renderPayload(compiled, { ...input, snapshot: null })).toEqual({
      previousValues: null,
      changedFields: ['isPaid'],
    });
  });
});
