import { listDialects } from '../../src/protocols/iso8583/dialects';
import {
  checkCodec,
  checkFlows,
  frameFor,
  fuzzFlows,
  iso8583FuzzContext,
  payloadFor,
} from '../../src/protocols/iso8583/testing/fuzz-harness';
import { Iso20022Engine } from '../../src/protocols/iso20022/engine';
import type { Iso20022Endpoint } from '../../src/protocols/iso20022/lane/iso20022-translator';
import {
  checkIso20022,
  fuzzTranslator,
  loadXmlSeeds,
  xmlInputFor,
} from '../../src/protocols/iso20022/testing/fuzz-harness';

/**
 * The fuzz targets as the runner drives them: `input(i)` regenerates iteration i's input from the
 * seed alone (what a case file stores), `check(input)` runs the oracle on it.
 */

export type TargetName = 'iso8583-codec' | 'iso8583-flows' | 'iso20022';

export interface CaseInput {
  /** Base64 of the bytes fed (a frame for the codec, a message for the flows, a body for ISO 20022). */
  readonly input: string;
  /** Codec: where the frame is split across two socket reads. */
  readonly cut?: number;
  /** ISO 20022: the endpoint the body is posted to. */
  readonly endpoint?: Iso20022Endpoint;
}

export interface Target {
  readonly name: TargetName;
  readonly dialect?: string;
  input(seed: number, i: number): CaseInput;
  check(input: CaseInput): string | Promise<string>;
  /** input + check without the base64 round trip (the hot loop). */
  run(seed: number, i: number): string | Promise<string>;
  dispose?(): void;
}

export interface TargetSpec {
  readonly name: TargetName;
  readonly dialect?: string;
}

export function allTargets(): TargetSpec[] {
  return [
    ...listDialects().flatMap((dialect) => [
      { name: 'iso8583-codec' as const, dialect },
      { name: 'iso8583-flows' as const, dialect },
    ]),
    { name: 'iso20022' },
  ];
}

export function label(t: TargetSpec): string {
  return t.dialect === undefined ? t.name : `${t.name}:${t.dialect}`;
}

export async function openTarget(spec: TargetSpec): Promise<Target> {
  if (spec.name === 'iso20022') {
    const engine = await Iso20022Engine.create();
    const translator = fuzzTranslator(engine);
    const seeds = loadXmlSeeds();
    return {
      name: spec.name,
      input: (seed, i) => {
        const { endpoint, body } = xmlInputFor(seeds, seed, i);
        return { endpoint, input: body.toString('base64') };
      },
      check: (c) =>
        checkIso20022(translator, engine, c.endpoint ?? 'pacs.008', Buffer.from(c.input, 'base64')),
      run: (seed, i) => {
        const { endpoint, body } = xmlInputFor(seeds, seed, i);
        return checkIso20022(translator, engine, endpoint, body);
      },
      dispose: () => engine.dispose(),
    };
  }
  const dialect = spec.dialect ?? 'ascii87';
  const ctx = iso8583FuzzContext(dialect);
  if (spec.name === 'iso8583-codec') {
    return {
      name: spec.name,
      dialect,
      input: (seed, i) => {
        const { frame, cut } = frameFor(ctx, seed, i);
        return { input: frame.toString('base64'), cut };
      },
      check: (c) => checkCodec(ctx, Buffer.from(c.input, 'base64'), c.cut ?? 0),
      run: (seed, i) => {
        const { frame, cut } = frameFor(ctx, seed, i);
        return checkCodec(ctx, frame, cut);
      },
    };
  }
  const flows = fuzzFlows(ctx.dialect);
  return {
    name: spec.name,
    dialect,
    input: (seed, i) => ({ input: payloadFor(ctx, seed, i).toString('base64') }),
    check: (c) => checkFlows(flows, ctx.dialect.spec, Buffer.from(c.input, 'base64')),
    run: (seed, i) => checkFlows(flows, ctx.dialect.spec, payloadFor(ctx, seed, i)),
  };
}
