import { join } from 'node:path';
import protobuf from 'protobufjs';
import { PAYER_TYPES, REASON_CODES } from '../domain/reason-codes';
import type { BillPayCommand, BillPayResult, RouteExplanation } from './bill-pay-command';
import type { PayerRef } from '../domain/partners/classify';

/*
 * The TypeScript command and result must match proto/billgate/v1/bill_pay.proto field for field.
 * Each map below is typed against the TypeScript interface (a missing or extra key fails to
 * compile) and is checked against the parsed .proto here (a field added there fails this test).
 */
type Kind = 'string' | 'int64' | 'int32' | 'enum' | 'timestamp' | 'message' | 'map';

const COMMAND: Record<keyof BillPayCommand, Kind> = {
  id: 'string',
  partnerId: 'string',
  lane: 'string',
  protocol: 'enum',
  payerType: 'enum',
  billType: 'string',
  billReference: 'string',
  amountMinor: 'int64',
  currency: 'string',
  payer: 'message',
  partnerReference: 'string',
  idempotencyKey: 'string',
  receivedAt: 'timestamp',
  origin: 'map',
};

const RESULT: Record<keyof BillPayResult, Kind> = {
  paymentId: 'string',
  status: 'enum',
  reasonCode: 'string',
  billerReceipt: 'string',
  billType: 'string',
  billReference: 'string',
  amountMinor: 'int64',
  currency: 'string',
  payerType: 'enum',
  partnerReference: 'string',
  createdAt: 'timestamp',
  route: 'message',
};

const ROUTE: Record<keyof RouteExplanation, Kind> = {
  ruleId: 'string',
  version: 'int32',
  billerEndpoint: 'string',
  settlementAccount: 'string',
};

const PAYER: Record<keyof PayerRef, Kind> = { kind: 'enum', id: 'string' };

function kindOf(field: protobuf.Field): Kind {
  if (field.map) return 'map';
  if (field.resolvedType instanceof protobuf.Enum) return 'enum';
  if (
    field.type === 'google.protobuf.Timestamp' ||
    field.resolvedType?.fullName === '.google.protobuf.Timestamp'
  ) {
    return 'timestamp';
  }
  if (field.resolvedType instanceof protobuf.Type) return 'message';
  return field.type as Kind;
}

describe('proto/billgate/v1/bill_pay.proto', () => {
  const root = protobuf.loadSync(join(__dirname, '../../proto/billgate/v1/bill_pay.proto'));
  root.resolveAll();

  it.each([
    ['billgate.v1.BillPayCommand', COMMAND],
    ['billgate.v1.BillPayResult', RESULT],
    ['billgate.v1.RouteExplanation', ROUTE],
    ['billgate.v1.PayerRef', PAYER],
  ] as const)('%s matches its TypeScript mirror', (name, mirror) => {
    const type = root.lookupType(name);
    const proto = Object.fromEntries(type.fieldsArray.map((f) => [f.name, kindOf(f)]));
    expect(proto).toEqual(mirror);
  });

  it('has an enum value for every payer type', () => {
    const values = Object.keys(root.lookupEnum('billgate.v1.PayerType').values).filter(
      (v) => !v.endsWith('UNSPECIFIED'),
    );
    expect(values.map((v) => v.replace('PAYER_TYPE_', '').toLowerCase().replace(/_/g, '-')).sort()).toEqual(
      [...PAYER_TYPES].sort(),
    );
  });

  it('reason codes are plain identifiers the proto string field can carry', () => {
    for (const code of Object.keys(REASON_CODES)) expect(code).toMatch(/^[A-Z][A-Z_]+$/);
  });
});
