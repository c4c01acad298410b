import type { FastifyRequest } from 'fastify';
import type { LaneContext } from '../../domain/partners/classify';

declare module 'fastify' {
  interface FastifyRequest {
    lane?: LaneContext;
  }
}

/** The plain HTTP listener of the embedded default, until lanes are configured per listener. */
export const DEFAULT_HTTP_LANE: LaneContext = { id: 'http-plain' };

export function laneOf(req: FastifyRequest): LaneContext {
  return req.lane ?? DEFAULT_HTTP_LANE;
}
