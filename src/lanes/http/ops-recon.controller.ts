import { Readable } from 'node:stream';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
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
import { OpsAuditLog } from '../../domain/audit/ops-audit-log';
import { formatMajorAmount, parseMajorAmount } from '../../domain/money/money';
import {
  BREAK_CODES,
  BREAK_OWNERS,
  BREAK_STATES,
  RESOLUTION_CODES,
  isResolutionCode,
} from '../../domain/recon/break-codes';
import {
  BreakWorkflowError,
  type Resolution,
  type ResolutionPreview,
} from '../../domain/recon/break-workflow';
import { isCalendarDate } from '../../domain/recon/csv-reader';
import { IntakeError, type IntakeResult } from '../../domain/recon/intake';
import { billerPostingFileSchema } from '../../domain/recon/layout';
import { RunInProgressError } from '../../domain/recon/runs.repository';
import { camt053Statement } from '../../protocols/iso20022/camt/camt053-statement';
import { problem } from '../../protocols/rest/problem';
import { parseBody } from './agent-problems';
import { OpsAuthGuard, opsUserOf } from './auth.guard';
import { schemaOf } from './openapi-schemas';
import {
  BREAKS_CSV_HEADER,
  breaksCsv,
  breakPageSchema,
  breakSchema,
  breakView,
  fileView,
  intakeAnswerSchema,
  reconFileSchema,
  reconRunSchema,
  refusedProblem,
  runView,
} from './recon-views';

const date = z.string().refine(isCalendarDate, 'a YYYY-MM-DD date').describe('YYYY-MM-DD');
const reason = z
  .string()
  .trim()
  .min(3)
  .max(500)
  .describe('why: mandatory, kept with the break and in the ops audit chain');
const uploadQuery = z.strictObject({
  source: z.enum(['partner', 'biller']),
  sourceId: z.string().min(1).max(64),
  businessDate: date,
  fileName: z.string().max(200).optional(),
});
const runSchema = z.strictObject({
  businessDate: date,
  partnerId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('one partner; every partner of the day when left out'),
  reason: reason.optional(),
});
const breakQuery = z.strictObject({
  businessDate: date.optional(),
  code: z.enum(Object.keys(BREAK_CODES) as [keyof typeof BREAK_CODES]).optional(),
  owner: z.enum(BREAK_OWNERS).optional(),
  partnerId: z.string().min(1).max(64).optional(),
  state: z.enum(BREAK_STATES).optional(),
  assignee: z.string().min(1).max(100).optional(),
  minAgeHours: z.coerce
    .number()
    .min(0)
    .max(24 * 366)
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  after: z.uuid().optional(),
});
const assignSchema = z.strictObject({
  assignee: z.string().trim().min(1).max(100).nullable().describe('who works it; null to unassign'),
  reason,
});
const commentSchema = z.strictObject({ text: z.string().trim().min(1).max(4000) });
const resolutionCode = z
  .string()
  .refine(isResolutionCode, `one of ${Object.keys(RESOLUTION_CODES).join(', ')}`)
  .meta({
    enum: Object.keys(RESOLUTION_CODES),
    description: Object.entries(RESOLUTION_CODES)
      .map(([code, r]) => `${code}: ${r.meaning}${r.movesMoney ? ' (posts an adjusting journal)' : ''}`)
      .join('; '),
  });
const resolveSchema = z.strictObject({
  resolution: resolutionCode,
  reason,
  adjustment: z
    .strictObject({
      amount: z
        .string()
        .regex(/^\d{1,15}(\.\d{1,3})?$/, 'a decimal amount')
        .optional()
        .describe(
          'in major units at the currency’s precision, e.g. "10.00"; default: the amount difference of a B3, else the break’s amount',
        ),
      debitAccount: z.string().min(1).max(128).optional().describe('a ledger account id'),
      creditAccount: z.string().min(1).max(128).optional().describe('a ledger account id'),
    })
    .optional()
    .describe('write-off, correcting-entry and refund only; correcting-entry names both accounts'),
  expectedJournal: z
    .string()
    .regex(/^([0-9a-f]{32}|none)$/)
    .optional()
    .describe(
      'the digest of the adjusting journal the preview showed ("none" when it showed none): refused with recon-journal-changed unless the resolution would post exactly that journal',
    ),
});
const resolvePreviewSchema = resolveSchema.omit({ expectedJournal: true });
const journalLineSchema = z
  .object({
    accountId: z.string(),
    side: z.enum(['D', 'C']),
    amount: z.string().describe('major units at the currency’s precision, e.g. "1.50"'),
    amountMinor: z.string().regex(/^\d+$/).describe('minor units as a decimal string'),
  })
  .loose();
const previewAnswerSchema = z
  .object({
    breakId: z.string(),
    resolution: z.string(),
    movesMoney: z.boolean(),
    journal: z
      .object({
        currency: z.string(),
        memo: z.string(),
        lines: z.array(journalLineSchema),
        opensAccount: z
          .string()
          .nullable()
          .describe('the reconciliation suspense account the journal would open (first write-off)'),
        digest: z.string(),
      })
      .loose()
      .nullable()
      .describe('the adjusting journal the resolution would post; null: it moves no money'),
    expectedJournal: z.string().describe('send this back as expectedJournal to confirm what was shown'),
  })
  .loose();
const billerConfigSchema = z.strictObject({ postingFile: billerPostingFileSchema, reason });

const figuresSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    byDay: z.array(
      z
        .object({
          businessDate: z.string(),
          code: z.string(),
          owner: z.string(),
          raised: z.number().int(),
          open: z.number().int(),
          resolved: z.number().int(),
          resolvedWithin4h: z.number().int(),
        })
        .loose(),
    ),
    resolvedWithin4hShare: z
      .number()
      .nullable()
      .describe(
        'of the breaks resolved in the range, the share resolved within 4 hours; null: none resolved',
      ),
    openNow: z.number().int(),
    oldestOpenAgeSeconds: z.number().int().nullable().describe('null: no open break'),
  })
  .loose();
const billerConfigView = z
  .object({
    billerId: z.string(),
    postingFile: z.object({}).loose().describe('layout, fetch and tolerances, as set'),
    updatedBy: z.string().optional(),
    updatedAt: z.string().optional(),
  })
  .loose();
/** A file as the body: CSV, camt.053 / camt.054 XML, or bytes. */
export const RECON_FILE_TYPES = ['text/csv', 'application/xml', 'application/octet-stream'] as const;
const fileBody = {
  required: true,
  schema: {
    type: 'string' as const,
    format: 'binary',
    description:
      'the file as it was produced, streamed (up to 1 GiB): CSV in the declared layout, or a camt.053 / camt.054 statement',
  },
};
const csvFile = { schema: { type: 'string' as const, description: 'CSV, one line per row after a header' } };
const statementResponse = {
  status: 200,
  description:
    '{date}.csv: one line per journal and a net line per settlement account; {date}.xml: camt.053.001.08',
  content: {
    'text/csv': csvFile,
    'application/xml': { schema: { type: 'string' as const, description: 'camt.053.001.08' } },
  },
};

/** Maps the intake's refusals and answers a stored or duplicate file. */
export async function intakeAnswer(reply: FastifyReply, run: () => Promise<IntakeResult>): Promise<unknown> {
  let result: IntakeResult;
  try {
    result = await run();
  } catch (error) {
    if (error instanceof IntakeError) {
      throw problem(error.code === 'unknown-source' ? 404 : 422, `recon-${error.code}`, error.message);
    }
    throw error;
  }
  if (result.outcome === 'refused') throw refusedProblem(result);
  void reply.status(result.outcome === 'stored' ? 201 : 200);
  return { outcome: result.outcome, file: fileView(result.file) };
}

type ResolveBody = z.infer<typeof resolveSchema>;

/** A resolution as the workflow takes it: the adjustment amount read at the break's currency. */
export async function resolutionOf(s: GatewayServices, id: string, b: ResolveBody): Promise<Resolution> {
  let amountMinor: bigint | undefined;
  if (b.adjustment?.amount !== undefined) {
    const found = z.uuid().safeParse(id).success
      ? await s.recon.recon.breaks.get(s.database.db, id)
      : undefined;
    const m = parseMajorAmount(b.adjustment.amount, found?.currency ?? 'BDT');
    if (typeof m === 'string')
      throw problem(400, 'invalid-request', 'Invalid resolution', {
        errors: [{ field: 'adjustment.amount', message: m }],
      });
    amountMinor = m.minor;
  }
  const a = b.adjustment;
  return {
    resolution: b.resolution,
    reason: b.reason,
    ...(a !== undefined
      ? {
          adjustment: {
            ...(amountMinor !== undefined ? { amountMinor } : {}),
            ...(a.debitAccount !== undefined ? { debitAccount: a.debitAccount } : {}),
            ...(a.creditAccount !== undefined ? { creditAccount: a.creditAccount } : {}),
          },
        }
      : {}),
    ...(b.expectedJournal !== undefined ? { expectedJournal: b.expectedJournal } : {}),
  };
}

/** What a preview answers: the journal with amounts as decimal strings, and the digest to confirm. */
export function previewView(p: ResolutionPreview, resolution: string): Record<string, unknown> {
  const j = p.journal;
  return {
    breakId: p.break.id,
    resolution,
    movesMoney: p.movesMoney,
    journal:
      j === null
        ? null
        : {
            currency: j.currency,
            memo: j.memo,
            lines: j.lines.map((l) => ({
              accountId: l.accountId,
              side: l.side,
              amount: formatMajorAmount(l.amount, j.currency),
              amountMinor: l.amount.toString(),
            })),
            opensAccount: j.opensAccount,
            digest: j.digest,
          },
    expectedJournal: j?.digest ?? 'none',
  };
}

export { resolveSchema, resolvePreviewSchema };

export function workflowMapped(error: unknown): never {
  if (error instanceof BreakWorkflowError) {
    const status =
      error.code === 'not-found'
        ? 404
        : error.code === 'not-open' || error.code === 'journal-changed'
          ? 409
          : 422;
    throw problem(status, `recon-${error.code}`, error.message);
  }
  throw error;
}

/**
 * Ops API of reconciliation: files in, runs, the break list and its workflow, figures, exports and
 * our settlement statements. Every write is in the ops audit chain.
 */
@ApiTags('ops: reconciliation')
@ApiBearerAuth()
@Controller('ops/recon')
@UseGuards(OpsAuthGuard)
export class OpsReconController {
  private readonly audit = new OpsAuditLog();

  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  private get r() {
    return this.s.recon;
  }

  @Post('files')
  @ApiOperation({
    summary: 'Upload a partner settlement file or biller posting file (idempotent on its SHA-256)',
    description:
      'Query: source (partner | biller), sourceId, businessDate, fileName?. Body: the file as sent (text/csv, ' +
      'application/xml or application/octet-stream), streamed to disk. 201 stored, 200 the same bytes were ' +
      'already stored, 422 refused whole with every bad line.',
  })
  @ApiConsumes(...RECON_FILE_TYPES)
  @ApiQuery({ name: 'source', enum: ['partner', 'biller'] })
  @ApiQuery({ name: 'sourceId', description: 'the partner id or biller endpoint id' })
  @ApiQuery({ name: 'businessDate', description: 'YYYY-MM-DD' })
  @ApiQuery({ name: 'fileName', required: false })
  @ApiBody(fileBody)
  @ApiResponse({ status: 201, description: 'stored', schema: schemaOf(intakeAnswerSchema) })
  @ApiResponse({
    status: 200,
    description: 'the same bytes were already stored: that file',
    schema: schemaOf(intakeAnswerSchema),
  })
  @ApiResponse({ status: 404, description: 'recon-unknown-source: no such partner or biller' })
  @ApiResponse({
    status: 422,
    description:
      'recon-file-refused: refused whole, nothing kept, every bad line in errors[] (field "line N"); or no layout declared for the source',
  })
  async upload(
    @Req() req: FastifyRequest,
    @Query() query: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const q = parseBody(uploadQuery, query, 'upload query');
    const upload = req.reconUpload;
    if (upload === undefined || upload.bytes === 0)
      throw problem(400, 'empty-file', 'Send the file as the request body');
    const actor = opsUserOf(req);
    const answer = await intakeAnswer(reply, () =>
      this.r.ingest({
        path: upload.path,
        sha256: upload.sha256,
        source: q.source,
        sourceId: q.sourceId,
        businessDate: q.businessDate,
        receivedVia: 'ops-upload',
        receivedBy: actor,
        ...(q.fileName !== undefined ? { fileName: q.fileName } : {}),
      }),
    );
    const file = (answer as { file: { id: string } }).file;
    await this.s.database.db.transaction().execute((tx) =>
      this.audit.append(tx, {
        actor,
        action: 'recon.file.upload',
        subjectType: 'recon-file',
        subjectId: file.id,
        reason: `${q.source} ${q.sourceId} file for ${q.businessDate}`,
        after: answer,
      }),
    );
    return answer;
  }

  @Get('files')
  @ApiOperation({ summary: 'Files received, newest first (filter by businessDate, source, sourceId)' })
  @ApiQuery({ name: 'businessDate', required: false, description: 'YYYY-MM-DD' })
  @ApiQuery({ name: 'source', required: false, enum: ['partner', 'biller'] })
  @ApiQuery({ name: 'sourceId', required: false })
  @ApiResponse({ status: 200, schema: schemaOf(z.object({ items: z.array(reconFileSchema) })) })
  async files(
    @Query('businessDate') businessDate?: string,
    @Query('source') source?: string,
    @Query('sourceId') sourceId?: string,
  ): Promise<unknown> {
    const files = await this.r.recon.files.list(this.s.database.db, {
      ...(businessDate !== undefined ? { businessDate } : {}),
      ...(source === 'partner' || source === 'biller' ? { source } : {}),
      ...(sourceId !== undefined ? { sourceId } : {}),
    });
    return { items: files.map(fileView) };
  }

  @Post('runs')
  @HttpCode(202)
  @ApiOperation({
    summary: "Run a business day's three-way match (all partners, or one)",
    description:
      'Answers 202 at once with the run; follow GET /ops/recon/runs/{id} for its phase, progress and counts. 409 while another run holds the cluster.',
  })
  @ApiBody({ schema: schemaOf(runSchema) })
  @ApiResponse({
    status: 202,
    description: 'started (Location: /ops/recon/runs/{id})',
    schema: schemaOf(reconRunSchema),
  })
  @ApiResponse({ status: 409, description: 'recon-run-in-progress: another run holds the cluster (runId)' })
  async startRun(
    @Req() req: FastifyRequest,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const b = parseBody(runSchema, body, 'run');
    const actor = opsUserOf(req);
    try {
      const { run } = await this.r.begin({
        businessDate: b.businessDate,
        ...(b.partnerId !== undefined ? { partnerId: b.partnerId } : {}),
        trigger: 'api',
        actor,
      });
      await this.s.database.db.transaction().execute((tx) =>
        this.audit.append(tx, {
          actor,
          action: 'recon.run.start',
          subjectType: 'recon-run',
          subjectId: run.id,
          reason: b.reason ?? `reconciliation run of ${b.businessDate}`,
          after: { businessDate: b.businessDate, partnerId: b.partnerId ?? null },
        }),
      );
      void reply.header('location', `/ops/recon/runs/${run.id}`);
      return runView(run);
    } catch (error) {
      if (error instanceof RunInProgressError) {
        throw problem(409, 'recon-run-in-progress', error.message, {
          ...(error.running !== undefined ? { runId: error.running.id } : {}),
        });
      }
      throw error;
    }
  }

  @Get('runs')
  @ApiOperation({ summary: 'Runs, newest first (filter by businessDate)' })
  @ApiQuery({ name: 'businessDate', required: false, description: 'YYYY-MM-DD' })
  @ApiResponse({ status: 200, schema: schemaOf(z.object({ items: z.array(reconRunSchema) })) })
  async runs(@Query('businessDate') businessDate?: string): Promise<unknown> {
    const runs = await this.r.recon.runs.list(
      this.s.database.db,
      businessDate !== undefined ? { businessDate } : {},
    );
    return { items: runs.map(runView) };
  }

  @Get('runs/:id')
  @ApiOperation({ summary: 'One run: state, phase, progress (rows done of total) and counts' })
  @ApiResponse({ status: 200, schema: schemaOf(reconRunSchema) })
  @ApiResponse({ status: 404, description: 'recon-run-not-found' })
  async run(@Param('id') id: string): Promise<unknown> {
    if (!z.uuid().safeParse(id).success) throw problem(404, 'recon-run-not-found', `no run ${id}`);
    const run = await this.r.recon.runs.get(this.s.database.db, id);
    if (run === undefined) throw problem(404, 'recon-run-not-found', `no run ${id}`);
    return runView(run);
  }

  @Get('breaks')
  @ApiOperation({
    summary: 'Breaks, filtered by businessDate, code, owner, partnerId, state, assignee, minAgeHours',
    description:
      'Keyset paging: pass the last id as `after`. Each break carries its three rows side by side (evidence) and its age.',
  })
  @ApiQuery({ name: 'businessDate', required: false, description: 'YYYY-MM-DD' })
  @ApiQuery({ name: 'code', required: false, enum: Object.keys(BREAK_CODES) })
  @ApiQuery({ name: 'owner', required: false, enum: BREAK_OWNERS })
  @ApiQuery({ name: 'partnerId', required: false })
  @ApiQuery({ name: 'state', required: false, enum: BREAK_STATES })
  @ApiQuery({ name: 'assignee', required: false })
  @ApiQuery({ name: 'minAgeHours', required: false, description: 'raised at least this many hours ago' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  @ApiQuery({ name: 'after', required: false, description: '`next` of the previous page' })
  @ApiResponse({ status: 200, schema: schemaOf(breakPageSchema) })
  @ApiResponse({
    status: 400,
    description: 'an unknown code, owner or state, a bad date or number (each named)',
  })
  async breaks(@Query() query: unknown): Promise<unknown> {
    const q = parseBody(breakQuery, query, 'break filter');
    const now = new Date();
    const items = await this.r.recon.breaks.list(
      this.s.database.db,
      { ...q, ...(q.minAgeHours !== undefined ? { minAgeSeconds: q.minAgeHours * 3600 } : {}) },
      now,
    );
    const limit = q.limit ?? 100;
    return {
      items: items.map((b) => breakView(b, now)),
      next: items.length === limit ? (items.at(-1)?.id ?? null) : null,
    };
  }

  @Get('breaks.csv')
  @ApiOperation({ summary: "CSV export of a day's breaks (businessDate required)" })
  @ApiQuery({ name: 'businessDate', description: 'YYYY-MM-DD' })
  @ApiProduces('text/csv')
  @ApiResponse({
    status: 200,
    description: `one line per break under the header ${BREAKS_CSV_HEADER.trim()}`,
    content: { 'text/csv': csvFile },
  })
  @ApiResponse({ status: 400, description: 'businessDate missing or not a date' })
  exportBreaks(@Query('businessDate') businessDate: string | undefined): StreamableFile {
    const day = parseBody(date, businessDate, 'businessDate');
    const lines = breaksCsv(this.s.database.db, this.r.recon.breaks, day, new Date());
    return new StreamableFile(Readable.from(lines), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="breaks-${day}.csv"`,
    });
  }

  @Get('breaks/:id')
  @ApiOperation({
    summary: 'One break with its evidence (ours, partner, biller side by side) and its history',
  })
  @ApiResponse({ status: 200, schema: schemaOf(breakSchema) })
  @ApiResponse({ status: 404, description: 'recon-not-found' })
  async break(@Param('id') id: string): Promise<unknown> {
    if (!z.uuid().safeParse(id).success) throw problem(404, 'recon-not-found', `no break ${id}`);
    const found = await this.r.recon.workflow.get(id);
    if (found === undefined) throw problem(404, 'recon-not-found', `no break ${id}`);
    return breakView(found.break, new Date(), found.events);
  }

  @Post('breaks/:id/assign')
  @HttpCode(200)
  @ApiOperation({ summary: 'Assign a break (assignee null to unassign), with a reason' })
  @ApiBody({ schema: schemaOf(assignSchema) })
  @ApiResponse({ status: 200, description: 'the break after the assignment', schema: schemaOf(breakSchema) })
  @ApiResponse({ status: 404, description: 'recon-not-found' })
  async assign(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const b = parseBody(assignSchema, body, 'assignment');
    const done = await this.r.recon.workflow
      .assign(id, b.assignee, opsUserOf(req), b.reason)
      .catch(workflowMapped);
    return breakView(done, new Date());
  }

  @Post('breaks/:id/comments')
  @HttpCode(200)
  @ApiOperation({ summary: 'Comment on a break' })
  @ApiBody({ schema: schemaOf(commentSchema) })
  @ApiResponse({ status: 200, description: 'the break', schema: schemaOf(breakSchema) })
  @ApiResponse({ status: 404, description: 'recon-not-found' })
  async comment(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(commentSchema, body, 'comment');
    const done = await this.r.recon.workflow.comment(id, b.text, opsUserOf(req)).catch(workflowMapped);
    return breakView(done, new Date());
  }

  @Post('breaks/:id/resolve')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Resolve a break with a resolution code',
    description:
      'explained, partner-corrected, biller-corrected, duplicate-row move no money; write-off, correcting-entry and ' +
      'refund post a balanced adjusting journal (kind adjustment) through the ledger with the break as its reason ' +
      '(adjustment: amount?, debitAccount?, creditAccount?).',
  })
  @ApiBody({ schema: schemaOf(resolveSchema) })
  @ApiResponse({
    status: 200,
    description: 'the resolved break (journalEntryId: the adjusting journal, when one was posted)',
    schema: schemaOf(breakSchema),
  })
  @ApiResponse({ status: 404, description: 'recon-not-found' })
  @ApiResponse({
    status: 409,
    description:
      'recon-not-open: only an open break is resolved; recon-journal-changed: expectedJournal is not the journal this resolution would post',
  })
  @ApiResponse({
    status: 422,
    description:
      'recon-invalid-adjustment (no amount, unknown or equal accounts, no posting to refund) or recon-account-not-allowed (an agent cash account)',
  })
  async resolve(
    @Req() req: FastifyRequest,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(resolveSchema, body, 'resolution');
    const done = await this.r.recon.workflow
      .resolve(id, await resolutionOf(this.s, id, b), opsUserOf(req))
      .catch(workflowMapped);
    return breakView(done, new Date());
  }

  @Post('breaks/:id/resolve/preview')
  @HttpCode(200)
  @ApiOperation({
    summary: 'What resolving a break would post, without posting it (confirm with expectedJournal)',
    description:
      'The same body as resolve (no expectedJournal). Answers the adjusting journal a money-moving resolution would ' +
      'post (accounts, sides, amounts) and its digest; nothing is written and nothing is audited. Resolve with ' +
      'expectedJournal set to the digest to post exactly that journal.',
  })
  @ApiBody({ schema: schemaOf(resolvePreviewSchema) })
  @ApiResponse({
    status: 200,
    description: 'the journal that would be posted',
    schema: schemaOf(previewAnswerSchema),
  })
  @ApiResponse({ status: 404, description: 'recon-not-found' })
  @ApiResponse({ status: 409, description: 'recon-not-open: only an open break is resolved' })
  @ApiResponse({
    status: 422,
    description: 'recon-invalid-adjustment or recon-account-not-allowed, as resolve would answer',
  })
  async previewResolution(@Param('id') id: string, @Body() body: unknown): Promise<unknown> {
    const b = parseBody(resolvePreviewSchema, body, 'resolution');
    if (!z.uuid().safeParse(id).success) throw problem(404, 'recon-not-found', `no break ${id}`);
    const shown = await this.r.recon.workflow
      .preview(id, await resolutionOf(this.s, id, b))
      .catch(workflowMapped);
    return previewView(shown, b.resolution);
  }

  @Get('figures')
  @ApiOperation({
    summary: 'Breaks by code and owner per day, share resolved within 4 hours, oldest open break age',
  })
  @ApiQuery({ name: 'from', required: false, description: 'YYYY-MM-DD; default: 7 days before today' })
  @ApiQuery({ name: 'to', required: false, description: 'YYYY-MM-DD; default: today' })
  @ApiResponse({ status: 200, schema: schemaOf(figuresSchema) })
  @ApiResponse({ status: 400, description: 'only one of from and to, or not dates' })
  async figures(@Query('from') from?: string, @Query('to') to?: string): Promise<unknown> {
    if ((from === undefined) !== (to === undefined))
      throw problem(400, 'invalid-request', 'give both from and to, or neither');
    if (from !== undefined && to !== undefined) {
      parseBody(z.strictObject({ from: date, to: date }), { from, to }, 'range');
      return this.r.figures({ from, to });
    }
    return this.r.figures();
  }

  @Get('statements/:partnerId/:file')
  @ApiOperation({
    summary:
      "Our settlement statement of a partner's business day: {date}.csv or {date}.xml (camt.053.001.08)",
  })
  @ApiProduces('text/csv', 'application/xml')
  @ApiResponse(statementResponse)
  statement(@Param('partnerId') partnerId: string, @Param('file') file: string): StreamableFile {
    return statementFile(this.s, partnerId, file);
  }

  @Get('billers/:billerId/posting-file')
  @ApiOperation({ summary: "A biller's posting-file layout and fetch schedule" })
  @ApiResponse({ status: 200, schema: schemaOf(billerConfigView) })
  @ApiResponse({ status: 404, description: 'recon-no-layout: the biller has no posting-file configuration' })
  async billerConfig(@Param('billerId') billerId: string): Promise<unknown> {
    const c = await this.r.recon.billerConfigs.get(this.s.database.db, billerId);
    if (c === undefined)
      throw problem(404, 'recon-no-layout', `biller ${billerId} has no posting-file configuration`);
    return {
      billerId,
      postingFile: c.postingFile,
      updatedBy: c.updatedBy,
      updatedAt: c.updatedAt.toISOString(),
    };
  }

  @Put('billers/:billerId/posting-file')
  @ApiOperation({
    summary: "Set a biller's posting-file layout (validated) and fetch schedule, with a reason",
  })
  @ApiBody({ schema: schemaOf(billerConfigSchema) })
  @ApiResponse({ status: 200, description: 'the configuration as set', schema: schemaOf(billerConfigView) })
  @ApiResponse({ status: 404, description: 'biller-not-found: no such biller endpoint' })
  async putBillerConfig(
    @Req() req: FastifyRequest,
    @Param('billerId') billerId: string,
    @Body() body: unknown,
  ): Promise<unknown> {
    const b = parseBody(billerConfigSchema, body, 'posting-file configuration');
    const db = this.s.database.db;
    const exists = await db
      .selectFrom('biller_endpoints')
      .select('id')
      .where('id', '=', billerId)
      .executeTakeFirst();
    if (exists === undefined) throw problem(404, 'biller-not-found', `no biller endpoint ${billerId}`);
    const actor = opsUserOf(req);
    const before = await this.r.recon.billerConfigs.get(db, billerId);
    await db.transaction().execute(async (tx) => {
      await this.r.recon.billerConfigs.put(tx, billerId, b.postingFile, actor, new Date());
      await this.audit.append(tx, {
        actor,
        action: 'recon.biller-config.update',
        subjectType: 'biller',
        subjectId: billerId,
        reason: b.reason,
        before: before?.postingFile ?? null,
        after: b.postingFile,
      });
    });
    return { billerId, postingFile: b.postingFile };
  }
}

/** `{date}.csv` or `{date}.xml` of a partner's settlement statement, streamed. */
export { csvFile, fileBody, statementResponse };

export function statementFile(s: GatewayServices, partnerId: string, file: string): StreamableFile {
  const m = /^(\d{4}-\d{2}-\d{2})\.(csv|xml)$/.exec(file);
  if (m === null || !isCalendarDate(m[1]!))
    throw problem(404, 'not-found', 'ask for {YYYY-MM-DD}.csv or {YYYY-MM-DD}.xml');
  const day = m[1]!;
  if (m[2] === 'csv') {
    return new StreamableFile(Readable.from(s.recon.statements.csv(partnerId, day)), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="statement-${partnerId}-${day}.csv"`,
    });
  }
  return new StreamableFile(Readable.from(camt053Statement(s.recon.statements, partnerId, day)), {
    type: 'application/xml; charset=utf-8',
    disposition: `attachment; filename="statement-${partnerId}-${day}.xml"`,
  });
}
