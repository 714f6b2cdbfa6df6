/**
 * The probe and metrics endpoints, as routes for an HTTP server (the Slack receiver's on the web port, the
 * worker's health server on HEALTH_PORT):
 * - `GET /healthz`: 200 `{"status":"ok"}` while the process serves HTTP at all (liveness);
 * - `GET /readyz`: 200 `{"status":"ready","checks":{…}}` when every dependency answers, else 503
 *   `{"status":"not ready","notReady":["redis",…],"checks":{"redis":{"ok":false,"problem":"…"},…}}`;
 * - `GET /metrics`: the Prometheus text exposition (when there are metrics to show).
 */
import type { Readiness } from '../../domain/readiness.js';
import type { HttpRoute } from '../slack/receiver.js';
import type { ServerResponse } from 'node:http';

/** The Prometheus exposition of this process's metrics. */
export interface MetricsScrape {
  scrape(): Promise<{ contentType: string; text: string }>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export function healthRoutes({ readiness, metrics }: { readiness?: Readiness; metrics?: MetricsScrape }): HttpRoute[] {
  const routes: HttpRoute[] = [{ path: '/healthz', method: 'GET', handler: (_req, res) => sendJson(res, 200, { status: 'ok' }) }];
  if (readiness) {
    routes.push({
      path: '/readyz',
      method: 'GET',
      handler: (_req, res) => {
        readiness.report().then(
          (report) => {
            const notReady = Object.entries(report.checks)
              .filter(([, c]) => !c.ok)
              .map(([name]) => name);
            sendJson(res, report.ready ? 200 : 503, { status: report.ready ? 'ready' : 'not ready', ...(report.ready ? {} : { notReady }), checks: report.checks });
          },
          (err: unknown) => sendJson(res, 503, { status: 'not ready', problem: err instanceof Error ? err.message : String(err) }),
        );
      },
    });
  }
  if (metrics) {
    routes.push({
      path: '/metrics',
      method: 'GET',
      handler: (_req, res) => {
        metrics.scrape().then(
          ({ contentType, text }) => {
            if (res.headersSent) return;
            res.writeHead(200, { 'content-type': contentType });
            res.end(text);
          },
          (err: unknown) => {
            if (res.headersSent) return;
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`could not collect the metrics: ${err instanceof Error ? err.message : String(err)}\n`);
          },
        );
      },
    });
  }
  return routes;
}
