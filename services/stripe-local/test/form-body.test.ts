import { describe, expect, it } from 'vitest';
import { StripeLocalError } from '../errors.js';
import { decodeForm, indexedToArray } from '../http/form-body.js';

describe('form-body: Stripe form encoding', () => {
  it('decodes nested keys and indexed arrays', () => {
    const form = decodeForm(
      'amount=100&metadata[order]=A%201&card[token]=tok_visa&expand[0]=customer&expand[1]=latest_charge&a[b][c]=d',
    );
    expect(JSON.parse(JSON.stringify(form))).toEqual({
      amount: '100',
      metadata: { order: 'A 1' },
      card: { token: 'tok_visa' },
      expand: { 0: 'customer', 1: 'latest_charge' },
      a: { b: { c: 'd' } },
    });
    expect(indexedToArray(form.expand)).toEqual(['customer', 'latest_charge']);
  });

  it('appends `list[]=` values in order', () => {
    expect(indexedToArray(decodeForm('types[]=a&types[]=b').types)).toEqual(['a', 'b']);
  });

  it('keeps __proto__ as a plain key, polluting nothing', () => {
    const form = decodeForm('__proto__[polluted]=yes&metadata[__proto__]=x');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(form)).toEqual(['__proto__', 'metadata']);
  });

  it.each([['a=1&a[b]=2'], ['a[b]=2&a=1'], ['[x]=1'], ['a[b=1'], ['a]b[=1'], [`${'a'}${'[x]'.repeat(9)}=1`]])(
    'refuses %s with a 400',
    (text) => {
      expect(() => decodeForm(text)).toThrow(StripeLocalError);
    },
  );
});
