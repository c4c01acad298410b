import type { PayOutcome } from './bill-pay-command';
import type { ReversalOutcome } from './reversal.service';

/**
 * A repeated request whose original is still being processed: asks again until the original settles
 * or `waitMs` runs out, so the partner gets the original's answer instead of "in flight" (protocols
 * that cannot say "in flight", ISO 8583 and ISO 20022, would otherwise have to guess).
 */
export async function untilSettled<T extends PayOutcome | ReversalOutcome>(
  waitMs: number | undefined,
  attempt: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + (waitMs ?? 10_000);
  for (;;) {
    const outcome = await attempt();
    if (outcome.kind !== 'in-flight' || Date.now() > deadline) return outcome;
    await new Promise((r) => setTimeout(r, 25));
  }
}
