import { request } from 'undici';
import { parseSimulatorsListeningLine } from '../simulators/simulators';
import { runSimulatorsCommand, simulatorsCommand } from './simulators.command';
import { CLI_COMMANDS } from './commands';

/** Runs the command with a stop signal the test sends, collecting what it prints. */
function run(args: string[], env: NodeJS.ProcessEnv = { NODE_ENV: 'test' }) {
  const lines: string[] = [];
  let printLine: (line: string) => void = () => undefined;
  const printed = new Promise<string>((resolve) => (printLine = resolve));
  let sendSignal: (signal: string) => void = () => undefined;
  const signalled = new Promise<string>((resolve) => (sendSignal = resolve));
  const result = runSimulatorsCommand(args, {
    env,
    writeLine: (line) => {
      lines.push(line);
      printLine(line);
    },
    untilStopped: () => signalled,
  });
  return { lines, printed, result, stop: (signal: string) => sendSignal(signal) };
}

async function health(url: string): Promise<number> {
  const res = await request(`${url}/health`);
  await res.body.dump();
  return res.statusCode;
}

describe('billgate simulators', () => {
  it('is one of the CLI commands', () => {
    expect(CLI_COMMANDS).toContain(simulatorsCommand);
  });

  it('starts both simulators on free ports, prints one machine-readable line and stops on a signal', async () => {
    const r = run(['--biller-port', '0', '--core-banking-port=0']);
    const line = await r.printed;
    expect(line).toMatch(
      /^simulators listening biller=http:\/\/127\.0\.0\.1:\d+ core-banking=http:\/\/127\.0\.0\.1:\d+$/,
    );
    const urls = parseSimulatorsListeningLine(`some log line\n${line}\n`);
    expect(urls).toBeDefined();
    const { billerUrl, coreBankingUrl } = urls!;
    expect(billerUrl).not.toBe(coreBankingUrl);
    expect(await health(billerUrl)).toBe(200);
    expect(await health(coreBankingUrl)).toBe(200);

    r.stop('SIGTERM');
    await expect(r.result).resolves.toEqual({ code: 0, output: 'simulators stopped (SIGTERM)' });
    expect(r.lines).toHaveLength(1);
    await expect(health(billerUrl)).rejects.toThrow();
    await expect(health(coreBankingUrl)).rejects.toThrow();
  });

  it('listens on the address --host names (0.0.0.0 in a container); a name is not an address', async () => {
    const r = run(['--biller-port', '0', '--core-banking-port', '0', '--host', '0.0.0.0']);
    const urls = parseSimulatorsListeningLine(await r.printed);
    expect(urls?.billerUrl).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    // Reachable through loopback too, as it is through the container's network.
    expect(await health((urls?.billerUrl ?? '').replace('0.0.0.0', '127.0.0.1'))).toBe(200);
    r.stop('SIGTERM');
    await r.result;
    expect((await run(['--host', 'simulators']).result).code).toBe(64);
  });

  it('takes its ports from BILLER_SIMULATOR_PORT and CORE_BANKING_SIMULATOR_PORT', async () => {
    const r = run([], { NODE_ENV: 'test', BILLER_SIMULATOR_PORT: '0', CORE_BANKING_SIMULATOR_PORT: '0' });
    expect(parseSimulatorsListeningLine(await r.printed)).toBeDefined();
    r.stop('SIGINT');
    await expect(r.result).resolves.toMatchObject({ code: 0 });
  });

  it('refuses to run in production', async () => {
    const r = run(['--biller-port', '0'], { NODE_ENV: 'production' });
    await expect(r.result).resolves.toEqual({
      code: 78,
      output: expect.stringMatching(/simulators are refused when NODE_ENV=production/) as unknown,
    });
    expect(r.lines).toEqual([]);
  });

  it.each([
    [['--biller-port']],
    [['--biller-port', 'x']],
    [['--core-banking-port', '65536']],
    [['--verbose']],
  ])('answers usage for bad arguments %j', async (args) => {
    const r = run(args);
    await expect(r.result).resolves.toMatchObject({
      code: 64,
      output: expect.stringMatching(/^usage: billgate simulators/) as unknown,
    });
  });
});
