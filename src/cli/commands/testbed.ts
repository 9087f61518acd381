import type { Command } from 'commander';
import { initBackend } from '../../backend/index.js';
import { probeHost } from '../../testbed/host.js';
import { runTestbed, testbedDown, testbedUp } from '../../testbed/testbed.js';
import { loadTopology } from '../../testbed/topology.js';

/** `coknight testbed run|up|down`: an emulated edge network on this host (see src/testbed). */
export function registerTestbed(program: Command): void {
  const tb = program.command('testbed').description('an emulated edge testbed on this host: namespaces, shaped links, CPU limits per device class (as root)');
  tb.command('run')
    .description('build the topology, train on it with the real learner and actor commands, report, tear down')
    .requiredOption('--topology <file>', 'topology YAML (see experiments/topologies/)')
    .requiredOption('--run-dir <dir>', "the learner's run directory (testbed.json is written there too)")
    .option('--json', 'print the report as JSON')
    .action(async (o: { topology: string; runDir: string; json?: boolean }) => {
      const t = loadTopology(o.topology);
      await initBackend({ prefer: 'wasm', log: () => {}, gradients: false });
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const r = await runTestbed(t, o.topology, { runDir: o.runDir, signal: abort.signal });
        if (o.json) console.log(JSON.stringify(r));
        else {
          console.log(`testbed ${t.name} (${r.emulation})`);
          for (const a of r.actors) {
            console.log(
              `  ${a.name.padEnd(12)} ${a.class.padEnd(12)} y=${a.splitPoint ?? '-'}  FLOP/s ${(a.targetFlops / 1e9).toFixed(3)}G target, ${a.measuredFlops === null ? '-' : (a.measuredFlops / 1e9).toFixed(3)}G measured;` +
                ` link ${(a.linkRate / 1e6).toFixed(2)} MB/s, uplink used ${a.measuredUpRate === null ? '-' : (a.measuredUpRate / 1e6).toFixed(2)} MB/s`,
            );
          }
          const s = r.summary as Record<string, number> | null;
          if (s)
            console.log(
              `  ${s.frames} frames in ${Number(s.wallSeconds).toFixed(0)} s (${Number(s.framesPerSecond).toFixed(0)} frames/s), final mean return ${Number(s.finalMeanReturn).toFixed(2)}`,
            );
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
  tb.command('up')
    .description('build the namespaces, links and cgroups of a topology and leave them (remove with `testbed down`)')
    .requiredOption('--topology <file>', 'topology YAML')
    .action(async (o: { topology: string }) => {
      await initBackend({ prefer: 'wasm', log: () => {}, gradients: false });
      await testbedUp(loadTopology(o.topology), (m) => console.log(m));
    });
  tb.command('down')
    .description('remove everything a testbed created (namespaces, links, qdiscs, cgroups and the processes in them)')
    .option('--topology <file>', 'topology YAML')
    .option('--name <name>', 'testbed name (instead of --topology)')
    .action((o: { topology?: string; name?: string }) => {
      const name = o.name ?? (o.topology ? loadTopology(o.topology).name : undefined);
      if (!name) throw new Error('testbed down: give --topology FILE or --name NAME');
      const r = testbedDown(name, probeHost());
      console.log(`testbed ${name}: removed ${r.namespaces} namespaces and ${r.links} links (and its cgroups)`);
    });
}
