/**
 * Profiles Switchyard's router under wrk: the router runs with `--cpu-prof`
 * pinned to core 0, wrk and two nginx upstreams on core 1. Prints the share
 * of busy time (idle excluded: on a shared machine it only says how often
 * the router waited) by area and the top functions by self time, and keeps
 * the .cpuprofile (path printed).
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

/** A coarse bucket for a profile frame: whose code, or which kind of native work. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (/^write(v|Latin1String|Utf8String|Buffer)$/.test(functionName))
      return 'socket writes (syscalls)';
    if (functionName.startsWith('(')) return functionName; // (program), (garbage collector)
    return 'other native';
  }
  if (url.includes('/src/router/')) return "Switchyard's router code";
  if (/node:_http_/.test(url)) return "Node's http server";
  if (/node:(net|internal\/stream|internal\/streams)/.test(url)) return "Node's net and streams";
  if (/node:(events|internal\/process\/task_queues|internal\/timers|timers)/.test(url))
    return "Node's events, ticks and timers";
  if (/node:internal\/(modules|bootstrap|deps\/amaro)/.test(url))
    return 'start-up (module loading)';
  return 'other JavaScript';
}

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
  const areas = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const f = node.callFrame;
    if (f.functionName === '(idle)') {
      idle += hits;
      continue;
    }
    busy += hits;
    const where = f.url
      ? `${f.url.replace(/^.*\/(src|node:internal|internal)\//, '$1/')}:${f.lineNumber + 1}`
      : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`;
    self.set(key, (self.get(key) ?? 0) + hits);
    const area = areaOf(f);
    areas.set(area, (areas.get(area) ?? 0) + hits);
  }
  const share = (hits: number): string => `${fmt((hits / busy) * 100, 1).padStart(5)} %`;
  process.stdout.write(
    `idle ${fmt((idle / (idle + busy)) * 100, 1)} % of samples; shares below are of busy time\n\nby area:\n`,
  );
  for (const [area, hits] of [...areas.entries()].sort((a, b) => b[1] - a[1]))
    process.stdout.write(`${share(hits)}  ${area}\n`);
  process.stdout.write('\ntop functions by self time:\n');
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40);
  for (const [name, hits] of top) process.stdout.write(`${share(hits)}  ${name}\n`);
  process.stdout.write(`profile kept at ${keep} (git-ignored)\n`);
});
