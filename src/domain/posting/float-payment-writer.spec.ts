import { decideInOrder } from './float-payment-writer';

describe('decideInOrder (how a batch the float cannot wholly cover is decided)', () => {
  const p = (amount: bigint, key: string) => ({ amount, key });

  it('posts every payment the float covers', () => {
    expect(decideInOrder(1_000n, [p(400n, 'a'), p(600n, 'b')], new Set())).toEqual(['posted', 'posted']);
  });

  it('declines the payment that does not fit and still posts a later one that does', () => {
    expect(decideInOrder(1_000n, [p(700n, 'a'), p(500n, 'b'), p(300n, 'c')], new Set())).toEqual([
      'posted',
      'declined',
      'posted',
    ]);
  });

  it('treats keys already taken, and repeats inside the batch, as duplicates that take nothing', () => {
    expect(
      decideInOrder(500n, [p(500n, 'old'), p(300n, 'x'), p(300n, 'x'), p(200n, 'y')], new Set(['old'])),
    ).toEqual(['duplicate', 'posted', 'duplicate', 'posted']);
  });

  it('declines everything when nothing is available, to the last minor unit', () => {
    expect(decideInOrder(0n, [p(1n, 'a')], new Set())).toEqual(['declined']);
    expect(decideInOrder(1n, [p(1n, 'a'), p(1n, 'b')], new Set())).toEqual(['posted', 'declined']);
    const huge = 9_223_372_036_854_775_807n;
    expect(decideInOrder(huge, [p(huge, 'a'), p(1n, 'b')], new Set())).toEqual(['posted', 'declined']);
  });
});
