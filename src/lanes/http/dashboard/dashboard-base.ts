import type { FastifyReply, FastifyRequest } from 'fastify';
import { OpsUsers, type OpsSession } from '../../../domain/ops-users/ops-users';
import type { GatewayServices } from '../../gateway-services';
import { assertOpsAllowedOnLane } from '../edge-guard';
import { operatorOf, pageSession } from './dashboard-session';

/**
 * What every dashboard controller stands on: the database, the ops users, the session of a page
 * (or a redirect to sign-in) and the session of a change (an operator with the CSRF token).
 */
export abstract class DashboardControllerBase {
  protected readonly users: OpsUsers;

  protected constructor(protected readonly s: GatewayServices) {
    this.users = new OpsUsers(() => s.edge.clock.now());
  }

  protected get db(): GatewayServices['database']['db'] {
    return this.s.database.db;
  }

  /** The signed-in session, or a redirect to the sign-in page (answered here) when there is none. */
  protected viewer(req: FastifyRequest, reply: FastifyReply): Promise<OpsSession | undefined> {
    assertOpsAllowedOnLane(req);
    return pageSession(this.users, this.db, req, reply);
  }

  /** The session of a state change: an operator (or any signed-in role) carrying the CSRF token. */
  protected operator(req: FastifyRequest, need?: 'operator' | 'any-role'): Promise<OpsSession> {
    return operatorOf(this.users, this.db, req, need);
  }
}
