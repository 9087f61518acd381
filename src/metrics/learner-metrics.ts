import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A handler for paths other than /metrics (see LearnerMetrics.addRoute). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The learner's Prometheus metrics, on their own registry (so tests can start several learners in
 * one process) and served at /metrics by a small HTTP server bound to localhost unless told otherwise.
 */
export class LearnerMetrics {
  readonly registry = new Registry();
  readonly frames = new Counter({ name: 'coknight_frames_total', help: 'environment frames trained on', registers: [this.registry] });
  readonly framesPerSecond = new Gauge({ name: 'coknight_frames_per_second', help: 'training frames per second (recent)', registers: [this.registry] });
  readonly inferenceRequests = new Counter({ name: 'coknight_inference_requests_total', help: 'inference requests served', registers: [this.registry] });
  readonly inferenceEnvSteps = new Counter({
    name: 'coknight_inference_env_steps_total',
    help: 'env steps served by learner inference',
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'coknight_inference_batch_env_steps',
    help: 'env steps per inference batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  readonly inferenceBusy = new Gauge({
    name: 'coknight_inference_busy_fraction',
    help: "fraction of wall time the learner spends in inference (the paper's GPU utilisation)",
    registers: [this.registry],
  });
  readonly trainingBusy = new Gauge({
    name: 'coknight_training_busy_fraction',
    help: 'fraction of wall time the learner spends training',
    registers: [this.registry],
  });
  readonly policyLag = new Gauge({
    name: 'coknight_policy_lag_updates',
    help: 'mean parameter-version lag of the last training batch',
    registers: [this.registry],
  });
  readonly episodeReturn = new Gauge({ name: 'coknight_episode_return_mean', help: 'mean return of the last 100 episodes', registers: [this.registry] });
  readonly episodes = new Counter({ name: 'coknight_episodes_total', help: 'finished episodes', registers: [this.registry] });
  readonly actorBytes = new Gauge({
    name: 'coknight_actor_bytes',
    help: 'bytes per actor, channel and direction (as counted by the learner)',
    labelNames: ['actor', 'channel', 'direction'],
    registers: [this.registry],
  });
  readonly actorBytesPerSecond = new Gauge({
    name: 'coknight_actor_bytes_per_second',
    help: 'recent bytes/s per actor, channel and direction',
    labelNames: ['actor', 'channel', 'direction'],
    registers: [this.registry],
  });
  readonly splitPoint = new Gauge({
    name: 'coknight_actor_split_point',
    help: 'current split point y_i of each actor',
    labelNames: ['actor'],
    registers: [this.registry],
  });
  readonly rejected = new Counter({
    name: 'coknight_rejected_messages_total',
    help: 'rejected messages by reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly serverEnvSteps = new Counter({
    name: 'coknight_server_env_steps_total',
    help: "env steps served by each inference server (coknight serve) and taken into the learner's unrolls",
    labelNames: ['server'],
    registers: [this.registry],
  });
  readonly serverActors = new Gauge({
    name: 'coknight_server_actors',
    help: "actors assigned to each inference server ('learner': the learner itself)",
    labelNames: ['server'],
    registers: [this.registry],
  });
  readonly serverMoves = new Counter({ name: 'coknight_server_moves_total', help: 'actors moved between inference servers', registers: [this.registry] });
  readonly replans = new Counter({
    name: 'coknight_replans_total',
    help: "re-plans of the multi-server planner (distributed.serverAssign 'plan')",
    registers: [this.registry],
  });
  readonly replanSolve = new Histogram({
    name: 'coknight_replan_solve_seconds',
    help: 'time the multi-server solver took per re-plan',
    buckets: [1e-4, 1e-3, 0.01, 0.1, 1, 10],
    registers: [this.registry],
  });
  readonly replanSettle = new Histogram({
    name: 'coknight_replan_settle_seconds',
    help: 'from a re-plan to the first step a moved actor was served at its new server',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [this.registry],
  });
  readonly actorsConnected = new Gauge({ name: 'coknight_actors_connected', help: 'actors with a live stream', registers: [this.registry] });
  readonly budgetUsed = new Gauge({
    name: 'coknight_partition_budget_used',
    help: 'fraction of the learner compute/bandwidth budget the plan uses',
    labelNames: ['resource'],
    registers: [this.registry],
  });
  readonly loss = new Gauge({
    name: 'coknight_loss',
    help: 'loss terms of the last update (total, pg, baseline, entropy)',
    labelNames: ['term'],
    registers: [this.registry],
  });
  readonly entropy = new Gauge({ name: 'coknight_policy_entropy', help: 'mean policy entropy per step of the last update (nats)', registers: [this.registry] });
  readonly learningRate = new Gauge({ name: 'coknight_learning_rate', help: 'learning rate of the last update', registers: [this.registry] });
  readonly gradNorm = new Gauge({ name: 'coknight_grad_norm', help: 'global gradient norm of the last update, before clipping', registers: [this.registry] });
  readonly unrollQueue = new Gauge({ name: 'coknight_unroll_queue_depth', help: 'assembled unrolls waiting to be trained on', registers: [this.registry] });
  readonly discardedSteps = new Counter({
    name: 'coknight_discarded_steps_total',
    help: 'actor steps lost: why = queue_full (dropped oldest), budget_reached, actor_left',
    labelNames: ['why'],
    registers: [this.registry],
  });
  readonly actorEnvSteps = new Gauge({
    name: 'coknight_actor_env_steps_per_second',
    help: 'recent env steps/s per actor',
    labelNames: ['actor'],
    registers: [this.registry],
  });
  readonly skippedUpdates = new Counter({
    name: 'coknight_skipped_updates_total',
    help: 'train steps skipped because the loss or a gradient was not finite (weights left unchanged)',
    registers: [this.registry],
  });
  readonly zmqAuthDenied = new Gauge({
    name: 'coknight_zmq_auth_denied',
    help: 'ZeroMQ CURVE handshakes refused (keys the learner did not hand out)',
    registers: [this.registry],
  });
  readonly grpcRejected = new Gauge({
    name: 'coknight_grpc_rejected',
    help: 'rejected gRPC streams and messages by protocol code (or status when there is none)',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly droppedPendingSteps = new Counter({
    name: 'coknight_dropped_pending_steps_total',
    help: "served steps dropped because an actor's unfinished unrolls exceeded their cap",
    registers: [this.registry],
  });
  private server: Server | null = null;
  private readonly routes: { prefix: string; handler: RouteHandler }[] = [];

  constructor(defaultMetrics = false) {
    if (defaultMetrics) collectDefaultMetrics({ register: this.registry });
    // Series that exist from the start, so dashboards and alerts see 0 rather than nothing.
    for (const why of ['queue_full', 'budget_reached', 'actor_left']) this.discardedSteps.inc({ why }, 0);
    this.rejected.inc({ reason: 'none' }, 0);
  }

  /** The gauges of one training update. */
  recordUpdate(
    stats: { loss: number; pgLoss: number; baselineLoss: number; entropyLoss: number; entropy: number; lr: number; gradNorm: number },
    u: { policyLag: number; frames: number; inferenceBusy: number; trainingBusy: number },
  ): void {
    this.policyLag.set(u.policyLag);
    this.frames.inc(u.frames);
    this.inferenceBusy.set(u.inferenceBusy);
    this.trainingBusy.set(u.trainingBusy);
    for (const [term, v] of [
      ['total', stats.loss],
      ['pg', stats.pgLoss],
      ['baseline', stats.baselineLoss],
      ['entropy', stats.entropyLoss],
    ] as const)
      this.loss.set({ term }, v);
    this.entropy.set(stats.entropy);
    this.learningRate.set(stats.lr);
    this.gradNorm.set(stats.gradNorm);
  }

  /** Rejections the transport counts itself (gRPC streams and messages, ZeroMQ handshakes). */
  recordTransport(st: { rejectedByCode: Record<string, number>; rejectedByStatus: Record<string, number> } | undefined, zmqDenied: number): void {
    if (st) {
      for (const [code, n] of Object.entries(st.rejectedByCode)) this.grpcRejected.set({ reason: code }, n);
      for (const [status, n] of Object.entries(st.rejectedByStatus)) this.grpcRejected.set({ reason: `status_${status}` }, n);
    }
    this.zmqAuthDenied.set(zmqDenied);
  }

  /** Zero-valued series for a newly joined actor (bytes/s per channel and direction, env steps/s). */
  actorJoined(actor: string): void {
    for (const channel of ['inference', 'upload', 'params']) {
      for (const direction of ['sent', 'received']) this.actorBytesPerSecond.set({ actor, channel, direction }, 0);
    }
    this.actorEnvSteps.set({ actor }, 0);
  }

  /**
   * Serves other paths on the same server (the dashboard): a request whose path starts with `prefix`
   * (or is `/` when prefix is '/') goes to `handler`; routes are tried in the order added.
   */
  addRoute(prefix: string, handler: RouteHandler): void {
    this.routes.push({ prefix, handler });
  }

  /** Serves /metrics on host:port (port 0 = any free port); resolves with the bound address. */
  listen(address: string): Promise<string> {
    const i = address.lastIndexOf(':');
    if (i < 0) throw new Error(`metrics address "${address}" must be host:port (e.g. 127.0.0.1:9464)`);
    const host = address.slice(0, i);
    const port = Number(address.slice(i + 1));
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`metrics address "${address}": port must be 0..65535`);
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        const path = (req.url ?? '/').split('?')[0];
        const route = this.routes.find((r) => path === '/' || path.startsWith(r.prefix));
        if (route) route.handler(req, res);
        else res.writeHead(404).end('see /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': this.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => {
        const a = this.server!.address();
        resolve(typeof a === 'object' && a ? `${host}:${a.port}` : address);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
