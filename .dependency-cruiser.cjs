/**
 * Layering of src/, enforced in CI (`npm run lint:layers`). Imports flow down:
 *   cli → run → learner | actor → partition, transport, model, codec, env → ground floor
 *   (util, config, backend, plot, metrics, vtrace, types).
 * Each rule's comment says why; a violation prints it.
 */
const GROUND = '^src/(util|config|backend|plot|metrics|vtrace|types)/';
const LIBS = '^src/(env|partition|transport|model|codec)/';
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'An import cycle makes load order matter and blocks splitting a module: move the shared piece down a layer.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'ground-floor-imports-nothing-above',
      severity: 'error',
      comment: 'util/config/backend/plot/metrics/vtrace are the ground floor: everything may use them, so they may use nothing above them.',
      from: { path: GROUND },
      to: { path: '^src/', pathNot: GROUND },
    },
    {
      name: 'libraries-stay-below-roles',
      severity: 'error',
      comment: 'env, partition, transport and model are libraries the learner and actor are built from: they must not know about either role, the run layer or the CLI.',
      from: { path: LIBS },
      to: { path: '^src/(learner|actor|run|cli|testbed|index\\.ts)' },
    },
    {
      name: 'transport-does-not-run-models-or-envs',
      severity: 'error',
      comment: 'The transport moves bytes: it speaks the wire format and the contract, not tensors or games (keeps it usable from any runtime).',
      from: { path: '^src/transport/' },
      to: { path: '^src/(model|env|partition)/' },
    },
    {
      name: 'learner-never-imports-actor',
      severity: 'error',
      comment: 'Learner and actor are siblings that meet only over the transport; shared code belongs in model/ or transport/.',
      from: { path: '^src/learner/' },
      to: { path: '^src/actor/' },
    },
    {
      name: 'actor-never-imports-learner',
      severity: 'error',
      comment: 'Learner and actor are siblings that meet only over the transport; shared code belongs in model/ or transport/.',
      from: { path: '^src/actor/' },
      to: { path: '^src/learner/' },
    },
    {
      name: 'roles-never-import-run-or-cli',
      severity: 'error',
      comment: 'learner/ and actor/ are libraries without files, processes or screens: run/ drives them, never the reverse.',
      from: { path: '^src/(learner|actor)/' },
      to: { path: '^src/(run|cli|testbed)/' },
    },
    {
      name: 'serve-is-a-role',
      severity: 'error',
      comment: 'serve/ (an inference server for a learner) is a role built from the learner\'s inference parts: learner/ and actor/ never import it, and it imports neither actor/, run/ nor cli/.',
      from: { path: '^src/serve/' },
      to: { path: '^src/(actor|run|cli|testbed)/' },
    },
    {
      name: 'roles-never-import-serve',
      severity: 'error',
      comment: 'The learner and the actor meet an inference server only over the transport.',
      from: { path: '^src/(learner|actor)/' },
      to: { path: '^src/serve/' },
    },
    {
      name: 'serve-does-no-os-io',
      severity: 'error',
      comment: 'serve/ does no file or process IO (like learner/ and actor/): flags, files and signals are run/serve.ts and cli/.',
      from: { path: '^src/serve/' },
      to: { path: '^(node:)?(fs|child_process|fs/promises)$', dependencyTypes: ['core'] },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      comment: 'cli/ is the top: commands parse flags and call run/*. Code a command needs belongs in run/ or below.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'roles-do-no-os-io',
      severity: 'error',
      comment: 'learner/ and actor/ do no file or process IO (Acme-style roles): files, child processes and the console are run/ and cli/.',
      from: { path: '^src/(learner|actor)/' },
      to: { path: '^(node:)?(fs|child_process|fs/promises)$', dependencyTypes: ['core'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing fails at run time.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
