import { z } from 'zod';
import { PAYER_TYPES } from '../reason-codes';
import { schedulesSchema } from './onboarding';
import { PARTNER_KINDS } from './partner';

/**
 * A partner as a file declares it (BILLGATE_CONFIG's `partners`, a partner.yaml): who it is and,
 * optionally, its three signed schedules. Validated with the same schemas the ops API uses.
 */
export const PARTNER_ID = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

export const partnerDeclarationShape = {
  id: z.string().regex(PARTNER_ID, 'letters, digits, . _ - (at most 64)'),
  name: z.string().trim().min(1).max(200),
  kind: z.enum(PARTNER_KINDS),
  payerTypes: z.array(z.enum(PAYER_TYPES)).min(1),
  schedules: schedulesSchema.optional(),
};

export const partnerDeclarationSchema = z.strictObject(partnerDeclarationShape);
export type PartnerDeclaration = z.infer<typeof partnerDeclarationSchema>;
