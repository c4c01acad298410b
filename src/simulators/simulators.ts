import { BillerSimulator, type BillerSimulatorOptions } from './biller-simulator';
import { addReversalControl } from './biller-reversal-control';
import { CoreBankingSimulator } from './core-banking-simulator';
import { addBillInquiry } from './biller-bill-inquiry';
import { addPostingFile } from './biller-posting-file';

export interface SimulatorsOptions {
  /** 0 = any free port. */
  readonly billerPort?: number;
  /** 0 = any free port. */
  readonly coreBankingPort?: number;
  readonly biller?: BillerSimulatorOptions;
  /** Where they listen: 127.0.0.1 by default (0.0.0.0 in a container, for other containers). */
  readonly host?: string;
}

/** The biller and core-banking simulators listening on 127.0.0.1, as `billgate simulators` runs them. */
export interface RunningSimulators {
  readonly biller: BillerSimulator;
  readonly coreBanking: CoreBankingSimulator;
  readonly billerUrl: string;
  readonly coreBankingUrl: string;
  stop(): Promise<void>;
}

/** Starts both simulators on loopback; if the second cannot listen, the first is stopped again. */
export async function startSimulators(options: SimulatorsOptions = {}): Promise<RunningSimulators> {
  const biller = new BillerSimulator(options.biller);
  addReversalControl(biller);
  addBillInquiry(biller);
  addPostingFile(biller);
  const billerUrl = await biller.start(options.billerPort ?? 0, options.host);
  const coreBanking = new CoreBankingSimulator();
  let coreBankingUrl: string;
  try {
    coreBankingUrl = await coreBanking.start(options.coreBankingPort ?? 0, options.host);
  } catch (error) {
    await biller.stop();
    throw error;
  }
  return {
    biller,
    coreBanking,
    billerUrl,
    coreBankingUrl,
    stop: async () => {
      await Promise.all([biller.stop(), coreBanking.stop()]);
    },
  };
}

const LINE = /^simulators listening biller=(\S+) core-banking=(\S+)$/m;

/** The one machine-readable line `billgate simulators` prints once both simulators listen. */
export function simulatorsListeningLine(urls: { billerUrl: string; coreBankingUrl: string }): string {
  return `simulators listening biller=${urls.billerUrl} core-banking=${urls.coreBankingUrl}`;
}

/** Finds that line in a process's output (BILLER_SIMULATOR_URL and CORE_BANKING_URL for a gateway). */
export function parseSimulatorsListeningLine(
  output: string,
): { billerUrl: string; coreBankingUrl: string } | undefined {
  const match = LINE.exec(output);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { billerUrl: match[1], coreBankingUrl: match[2] };
}
