/**
 * Profiles Switchyard's router under wrk: the router runs with `--cpu-prof`
 * pinned to core 0, wrk and two nginx upstreams on core 1. Prints the top
 * functions by self time and keeps the .cpuprofile (path printed).
 *   node bench/profile-router.ts [SECONDS]
 */
import { readFile, readdir, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { RouterAdminClient } from '../src/router/admin/client.ts';
import { routerPaths } from '../src/router/config-file.ts';
import {
  LOAD_CORE,
  PROXY_CORE,
  SERVICE,
  benchConfig,
  fmt,
  freePort,
  pool,
  runBench,
  startPinned,
  startUpstreams,
  stopChild,
  tempDir,
  waitForPort,
  wrk,
} from './lib.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

runBench(async () => {
  const seconds = Number(process.argv[2] ?? '5');
  const { ports } = await startUpstreams(LOAD_CORE);
  const stateDir = await tempDir('profile');
  const profDir = await tempDir('cpuprof');
  const bin = fileURLToPath(new URL('../src/router/bin.ts', import.meta.url));
  const child = startPinned(PROXY_CORE, process.execPath, [
    '--cpu-prof',
    '--cpu-prof-dir',
    profDir,
    bin,
    '--state',
    stateDir,
  ]);
  const paths = routerPaths(stateDir);
  let info: {
    pid?: number;
    admin?: ConstructorParameters<typeof RouterAdminClient>[0]['address'];
  } = {};
  for (let i = 0; i < 200 && info.admin === undefined; i++) {
    await sleep(50);
    info = JSON.parse(await readFile(paths.info, 'utf8').catch(() => '{}')) as typeof info;
  }
  if (info.admin === undefined) throw new Error('router did not start');
  const client = new RouterAdminClient({
    address: info.admin,
    token: (await readFile(paths.token, 'utf8')).trim(),
  });
  const port = await freePort();
  await client.putConfig(benchConfig(1, port, [pool('blue', 100, ports)]));
  await waitForPort(port);
  for (;;) {
    const state = await client.getState();
    if (state.health.filter((h) => h.service === SERVICE && h.healthy).length === 2) break;
    await sleep(100);
  }
  await client.close();
  await wrk(`http://127.0.0.1:${port}/`, 1);
  const r = await wrk(`http://127.0.0.1:${port}/`, seconds);
  process.stdout.write(`under profile: ${fmt(r.rps)} req/s, p99 ${fmt(r.p99Ms, 2)} ms\n`);
  await stopChild(child, 'SIGTERM');
  const file = (await readdir(profDir)).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  const keep = join(process.cwd(), 'router.cpuprofile');
  await copyFile(join(profDir, file), keep);
  const profile = JSON.parse(await readFile(join(profDir, file), 'utf8')) as {
    nodes: ProfileNode[];
  };
  const self = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const f = node.callFrame;
    const where = f.url
      ? `${f.url.replace(/^.*\/(src|node:internal|internal)\//, '$1/')}:${f.lineNumber + 1}`
      : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40);
  for (const [name, hits] of top)
    process.stdout.write(`${fmt((hits / total) * 100, 1).padStart(5)} %  ${name}\n`);
  process.stdout.write(`profile kept at ${keep} (git-ignored)\n`);
});
