import type { JsonAnswer } from './json-server';

export interface SimulatorRequest {
  /** Named segments of the route's pattern (`/billers/:billerId/...` → params.billerId). */
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly query: URLSearchParams;
}

export type SimulatorRouteHandler = (req: SimulatorRequest) => JsonAnswer | Promise<JsonAnswer>;

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: SimulatorRouteHandler;
}

/**
 * Routes a simulator's capabilities register for themselves (status inquiry, posting files, bill
 * inquiry, reversal control...), each in its own file, so no capability edits another's handler.
 * A pattern is a path of literal segments and `:name` captures, matched segment for segment.
 */
export class SimulatorRoutes {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: SimulatorRouteHandler): void {
    const segments = pattern.split('/').filter((s) => s.length > 0);
    this.routes.push({ method: method.toUpperCase(), segments, handler });
  }

  /** The answer of the first route that matches, or undefined when none does. */
  dispatch(
    method: string,
    path: readonly string[],
    body: unknown,
    query: URLSearchParams,
  ): JsonAnswer | Promise<JsonAnswer> | undefined {
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== path.length) continue;
      const params: Record<string, string> = {};
      let matched = true;
      for (let i = 0; i < path.length; i += 1) {
        const want = route.segments[i]!;
        const got = path[i]!;
        if (want.startsWith(':')) params[want.slice(1)] = got;
        else if (want !== got) {
          matched = false;
          break;
        }
      }
      if (matched) return route.handler({ params, body, query });
    }
    return undefined;
  }
}
