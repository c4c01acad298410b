import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { GatewayServices } from '../gateway-services';
import type { LaneDefinition } from '../lane-config';
import type { LaneTlsOptions } from '../security/edge/create-edge';
import { createHttpApp } from './http-app';

export interface HttpLaneListener {
  readonly laneId: string;
  readonly app: NestFastifyApplication;
  readonly url: string;
}

export interface HttpLanes {
  /** The app the ISO 8583 transports attach to: the first plain lane, else the first HTTP lane. */
  readonly primary: NestFastifyApplication;
  /** Starts every listener; returns their URLs by lane id ('http' when no lane is configured). */
  listen(fallback: { host: string; port: number }): Promise<HttpLaneListener[]>;
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** One Nest app per HTTP lane over the same services; a gateway without lanes gets one unguarded app. */
export async function createHttpLanes(
  services: GatewayServices,
  lanes: readonly LaneDefinition[],
  tlsByLane: ReadonlyMap<string, LaneTlsOptions>,
): Promise<HttpLanes> {
  const http = lanes.filter((l) => l.protocol === 'http');
  const apps: { lane: LaneDefinition | undefined; app: NestFastifyApplication }[] = [];
  const close = async (): Promise<void> => {
    for (const a of apps.reverse()) await a.app.close();
  };
  try {
    if (http.length === 0) apps.push({ lane: undefined, app: await createHttpApp(services) });
    const ordered = [...http.filter((l) => l.tls === 'off'), ...http.filter((l) => l.tls !== 'off')];
    for (const lane of ordered) {
      const tls = tlsByLane.get(lane.id);
      if (lane.tls !== 'off' && tls === undefined) throw new Error(`lane ${lane.id} has no TLS material`);
      apps.push({ lane, app: await createHttpApp(services, lane, tls) });
    }
  } catch (error) {
    await close();
    throw error;
  }
  const primary = apps[0]?.app;
  if (primary === undefined) throw new Error('no HTTP app');
  return {
    primary,
    close,
    listen: async (fallback) => {
      const out: HttpLaneListener[] = [];
      for (const { lane, app } of apps) {
        const host = lane?.listener.host ?? fallback.host;
        await app.listen({ port: lane?.listener.port ?? fallback.port, host });
        const address = app.getHttpServer().address();
        const port = typeof address === 'object' && address !== null ? address.port : 0;
        const scheme = lane !== undefined && lane.tls !== 'off' ? 'https' : 'http';
        out.push({ laneId: lane?.id ?? 'http', app, url: `${scheme}://${urlHost(host)}:${port}` });
      }
      return out;
    },
  };
}
