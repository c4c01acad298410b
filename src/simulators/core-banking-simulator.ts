import { JsonServer } from './json-server';

export interface SimulatedAccount {
  balance: bigint;
  readonly currency: string;
  readonly blocked?: boolean;
  /** Hold every request on this account past the caller's timeout, doing nothing (it was lost). */
  readonly hang?: boolean;
  /** Apply every request at once but hold the answer past the caller's timeout (the answer was lost). */
  readonly late?: boolean;
  /** Debits work, credits are refused (the account was closed after the debit): refunds are refused. */
  readonly refuseCredits?: boolean;
}

/** Accounts the demo and the tests rely on; documented in the README. */
export const DEMO_CORE_BANKING_ACCOUNTS: Record<string, SimulatedAccount> = {
  '1001000000001': { balance: 100_000_000_000n, currency: 'BDT' },
  '1001000000002': { balance: 1_000n, currency: 'BDT' },
  '1001000000003': { balance: 100_000_00n, currency: 'BDT', blocked: true },
  '1001000000007': { balance: 100_000_00n, currency: 'BDT', refuseCredits: true },
  '1001000000008': { balance: 100_000_00n, currency: 'BDT', late: true },
  '1001000000009': { balance: 100_000_00n, currency: 'BDT', hang: true },
};

/**
 * Stands in for the bank's core banking system on loopback: accounts with balances, debits and
 * credits that are idempotent by the caller's reference, refusals a real CBS gives.
 *   POST /accounts/{account}/debits  { amountMinor, currency, reference } → 201 { reference }
 *   POST /accounts/{account}/credits { amountMinor, currency, reference } → 201 { reference }
 *   GET  /transactions/{reference} → 200 { status: DONE, reference } or 404: status inquiry after a timeout
 *   404 unknown account, 423 blocked, 422 insufficient funds.
 */
export class CoreBankingSimulator {
  private readonly server: JsonServer;
  private readonly accounts = new Map<string, SimulatedAccount>();
  private readonly done = new Map<string, { status: number; body: unknown }>();
  /** What a status inquiry by our reference finds: every debit and credit made. */
  private readonly byReference = new Map<string, Record<string, string>>();
  private sequence = 0;
  url = '';

  constructor(
    accounts: Record<string, SimulatedAccount> = DEMO_CORE_BANKING_ACCOUNTS,
    private readonly hangMs = 30_000,
  ) {
    for (const [id, a] of Object.entries(accounts)) this.accounts.set(id, { ...a });
    this.server = new JsonServer((method, path, body) => this.handle(method, path, body));
  }

  /** Listens on loopback unless told otherwise (`billgate simulators --host 0.0.0.0` in a container). */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.url = await this.server.listen(port, host);
    return this.url;
  }

  stop(): Promise<void> {
    return this.server.close();
  }

  balance(account: string): bigint | undefined {
    return this.accounts.get(account)?.balance;
  }

  private handle(
    method: string,
    path: string[],
    body: unknown,
  ): { status: number; body: unknown; delayMs?: number } {
    if (method === 'GET' && path[0] === 'health') return { status: 200, body: { status: 'ok' } };
    if (method === 'GET' && path[0] === 'transactions' && path.length === 2) {
      const done = this.byReference.get(path[1] ?? '');
      if (done === undefined) return { status: 404, body: { status: 'NOT_FOUND' } };
      return { status: 200, body: done };
    }
    if (path[0] !== 'accounts' || path[1] === undefined)
      return { status: 404, body: { message: 'no such route' } };
    const account = this.accounts.get(path[1]);
    if (method === 'GET' && path.length === 2) {
      if (account === undefined) return { status: 404, body: { message: 'unknown account' } };
      return { status: 200, body: { balanceMinor: account.balance.toString(), currency: account.currency } };
    }
    const direction = path[2];
    if (method !== 'POST' || (direction !== 'debits' && direction !== 'credits') || path.length !== 3) {
      return { status: 404, body: { message: 'no such route' } };
    }
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const reference = typeof b.reference === 'string' ? b.reference : '';
    const amountText = typeof b.amountMinor === 'string' ? b.amountMinor : '';
    if (reference === '' || !/^[1-9][0-9]{0,17}$/.test(amountText)) {
      return { status: 400, body: { message: 'reference and a positive amountMinor are required' } };
    }
    const key = `${direction}:${reference}`;
    const previous = this.done.get(key);
    if (previous !== undefined) return previous;
    if (account === undefined) return { status: 404, body: { status: 'ACCOUNT_NOT_FOUND' } };
    if (account.hang === true) return { status: 504, body: { status: 'TIMEOUT' }, delayMs: this.hangMs };
    if (account.blocked === true) return { status: 423, body: { status: 'ACCOUNT_BLOCKED' } };
    if (account.refuseCredits === true && direction === 'credits') {
      return { status: 423, body: { status: 'ACCOUNT_CLOSED' } };
    }
    if (b.currency !== account.currency) return { status: 422, body: { status: 'CURRENCY_MISMATCH' } };
    const amount = BigInt(amountText);
    if (direction === 'debits' && account.balance < amount)
      return { status: 422, body: { status: 'INSUFFICIENT_FUNDS' } };
    account.balance += direction === 'debits' ? -amount : amount;
    this.sequence += 1;
    const cbsReference = `CBS${String(this.sequence).padStart(10, '0')}`;
    const answer = { status: 201, body: { status: 'DONE', reference: cbsReference } };
    this.done.set(key, answer);
    this.byReference.set(reference, {
      status: 'DONE',
      reference: cbsReference,
      direction: direction === 'debits' ? 'debit' : 'credit',
      account: path[1],
      amountMinor: amountText,
      currency: account.currency,
    });
    return account.late === true ? { ...answer, delayMs: this.hangMs } : answer;
  }
}
