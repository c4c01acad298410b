import { Body, Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GATEWAY_SERVICES, type GatewayServices } from '../gateway-services';

const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/;

/**
 * OAuth 2.0 client credentials with mutual-TLS client authentication (RFC 8705 §2): the client is
 * whoever the connection's certificate is registered to; the token is bound to that certificate.
 * Errors follow RFC 6749 §5.2 ({ error, error_description }), not problem+json.
 */
@ApiTags('oauth')
@Controller()
export class OAuthController {
  constructor(@Inject(GATEWAY_SERVICES) private readonly s: GatewayServices) {}

  @Post('oauth/token')
  @HttpCode(200)
  @ApiOperation({ summary: 'Client credentials grant, the client authenticated by its TLS certificate' })
  async token(@Req() req: FastifyRequest, @Res() reply: FastifyReply, @Body() body: unknown): Promise<void> {
    const fail = (status: number, error: string, description: string): void => {
      this.s.metrics.edgeRefusals.inc({ lane: req.edge?.laneId ?? 'http', reason: `oauth-${error}` });
      void reply
        .code(status)
        .header('cache-control', 'no-store')
        .send({ error, error_description: description });
    };
    const cert = req.edge?.certificate;
    if (cert === undefined) {
      fail(401, 'invalid_client', 'client authentication by TLS certificate is required (RFC 8705)');
      return;
    }
    const params = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    if (params.grant_type !== 'client_credentials') {
      fail(400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
      return;
    }
    if (params.client_id !== undefined && params.client_id !== cert.partner.id) {
      fail(401, 'invalid_client', 'client_id does not match the certificate');
      return;
    }
    const scope = params.scope;
    if (scope !== undefined && (typeof scope !== 'string' || !SCOPE.test(scope))) {
      fail(400, 'invalid_scope', 'scope must be space-separated tokens');
      return;
    }
    if (cert.partner.status !== 'live') {
      fail(400, 'unauthorized_client', `the partner is ${cert.partner.status}`);
      return;
    }
    const issued = await this.s.edge.tokens.issue(cert.partner.id, cert.fingerprint, scope);
    void reply
      .code(200)
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({
        access_token: issued.token,
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        ...(typeof scope === 'string' ? { scope } : {}),
      });
  }

  @Get('.well-known/jwks.json')
  @ApiOperation({ summary: 'Public keys that verify access tokens (active, retiring and next)' })
  jwks(@Res() reply: FastifyReply): void {
    void reply.header('cache-control', 'public, max-age=300').send(this.s.edge.tokens.jwks());
  }
}
