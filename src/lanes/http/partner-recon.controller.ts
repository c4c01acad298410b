import {
  Controller,
  Get,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';
import { addDays, wallClock } from '../../domain/recon/business-day';
import { isCalendarDate } from '../../domain/recon/csv-reader';
import { problem } from '../../protocols/rest/problem';
import { parseBody } from './agent-problems';
import { PartnerAuthGuard, partnerOf } from './auth.guard';
import { schemaOf } from './openapi-schemas';
import {
  fileBody,
  intakeAnswer,
  RECON_FILE_TYPES,
  statementFile,
  statementResponse,
} from './ops-recon.controller';
import { breakSchema, breakView, intakeAnswerSchema } from './recon-views';

const date = z.string().refine(isCalendarDate, 'a YYYY-MM-DD date');

/** What a partner sees of its breaks: its own row and ours, not the biller's or ops' work. */
const partnerBreaks = z
  .object({
    businessDate: z.string(),
    published: z.boolean().describe('false before publishAt: items is empty'),
    publishAt: z.string().describe('ISO 8601: T+1 at the publish time of your Operational Schedule'),
    items: z.array(
      breakSchema
        .pick({
          id: true,
          code: true,
          state: true,
          summary: true,
          paymentId: true,
          amount: true,
          amountMinor: true,
          currency: true,
          raisedAt: true,
        })
        .extend({
          evidence: z
            .object({
              ours: z.unknown().describe('our ledger’s row'),
              partner: z.unknown().describe('your file’s row'),
              notes: z.array(z.string()),
            })
            .loose(),
        }),
    ),
  })
  .loose();

/**
 * A partner's side of reconciliation on its own lane: it sends its settlement file (idempotent on the
 * file's hash), reads the breaks of its business days once they are published (T+1 at the publish
 * time of its Operational Schedule), and fetches our settlement statement to reconcile against us.
 */
@ApiTags('partner reconciliation')
@ApiBearerAuth()
@Controller('partner/recon')
@UseGuards(PartnerAuthGuard)
export class PartnerReconController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Post('files')
  @ApiOperation({
    summary:
      'Send the settlement file of a business day (?businessDate=YYYY-MM-DD), in the layout of your Operational Schedule',
    description:
      '201 stored, 200 the same bytes were already received, 422 refused whole with every bad line named.',
  })
  @ApiConsumes(...RECON_FILE_TYPES)
  @ApiQuery({ name: 'businessDate', description: 'YYYY-MM-DD' })
  @ApiBody(fileBody)
  @ApiResponse({ status: 201, description: 'stored', schema: schemaOf(intakeAnswerSchema) })
  @ApiResponse({
    status: 200,
    description: 'the same bytes were already received: that file',
    schema: schemaOf(intakeAnswerSchema),
  })
  @ApiResponse({
    status: 422,
    description:
      'recon-file-refused: refused whole, nothing kept, every bad line in errors[] (field "line N"); or no settlement-file layout in your Operational Schedule',
  })
  async upload(
    @Req() req: FastifyRequest,
    @Query('businessDate') businessDate: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const day = parseBody(date, businessDate, 'businessDate');
    const partner = partnerOf(req);
    const upload = req.reconUpload;
    if (upload === undefined || upload.bytes === 0)
      throw problem(400, 'empty-file', 'Send the file as the request body');
    return intakeAnswer(reply, () =>
      this.s.recon.ingest({
        path: upload.path,
        sha256: upload.sha256,
        source: 'partner',
        sourceId: partner.id,
        businessDate: day,
        receivedVia: 'partner-upload',
        receivedBy: `partner:${partner.id}`,
      }),
    );
  }

  @Get('breaks')
  @ApiOperation({ summary: 'Your breaks of a business day (?businessDate=), once published' })
  @ApiQuery({ name: 'businessDate', description: 'YYYY-MM-DD' })
  @ApiResponse({ status: 200, schema: schemaOf(partnerBreaks) })
  async breaks(
    @Req() req: FastifyRequest,
    @Query('businessDate') businessDate: string | undefined,
  ): Promise<unknown> {
    const day = parseBody(date, businessDate, 'businessDate');
    const partner = partnerOf(req);
    const recon = await this.s.recon.recon.configs.partner(partner.id);
    const publishAt = wallClock(
      addDays(day, 1),
      recon?.cycle.publishAt ?? '02:00',
      this.s.recon.recon.timeZone,
    );
    const now = new Date();
    if (now < publishAt) {
      return { businessDate: day, published: false, publishAt: publishAt.toISOString(), items: [] };
    }
    const items = await this.s.recon.recon.breaks.list(
      this.s.database.db,
      { businessDate: day, partnerId: partner.id, limit: 10_000 },
      now,
    );
    return {
      businessDate: day,
      published: true,
      publishAt: publishAt.toISOString(),
      items: items.map((b) => {
        // What the partner sees of a break: its own row and ours, not the biller's or ops' work.
        const v = breakView(b, now);
        const evidence = b.evidence as {
          ours?: unknown;
          partner?: unknown;
          disagreements?: unknown;
          notes?: unknown;
        };
        return {
          id: v.id,
          code: v.code,
          state: v.state,
          summary: v.summary,
          paymentId: v.paymentId,
          amount: v.amount,
          amountMinor: v.amountMinor,
          currency: v.currency,
          raisedAt: v.raisedAt,
          evidence: {
            ours: evidence.ours ?? null,
            partner: evidence.partner ?? null,
            notes: evidence.notes ?? [],
          },
        };
      }),
    };
  }

  @Get('statements/:file')
  @ApiOperation({
    summary: 'Our settlement statement of your business day: {date}.csv or {date}.xml (camt.053.001.08)',
  })
  @ApiProduces('text/csv', 'application/xml')
  @ApiResponse(statementResponse)
  statement(@Req() req: FastifyRequest, @Param('file') file: string): StreamableFile {
    return statementFile(this.s, partnerOf(req).id, file);
  }
}
