import type { Learner } from '../../learner/index.js';
import { DASHBOARD_PREFIX, Dashboard, isLoopback } from './server.js';
import { liveSource } from './live.js';

/** Puts the live dashboard on the learner's /metrics server; token-protected unless bound to loopback. */
export function mountDashboard(learner: Learner, runDir: string, metricsAddress: string, token: string): Dashboard {
  const host = metricsAddress.slice(0, metricsAddress.lastIndexOf(':'));
  const dash = new Dashboard({ runDir, live: liveSource(learner), token: isLoopback(host) ? undefined : token });
  learner.metrics.addRoute(DASHBOARD_PREFIX, (req, res) => {
    if (!dash.handle(req, res)) res.writeHead(404).end('see /metrics or /dashboard/\n');
  });
  return dash;
}
