/** How `status` reads on a terminal: the service, its rollout, pools with instances, the lock. */
import type {
  AnalysisRunView,
  PoolView,
  RolloutView,
  ServiceStatus,
  ServiceSummary,
} from '../../controller/control-plane.ts';
import type { LockInfo } from '../../state/store.ts';

export function statusLines(status: ServiceStatus): string[] {
  const lines = [
    `${status.service}/${status.environment}  ${
      status.stable
        ? `stable: revision ${status.stable.revision} (${status.stable.version})`
        : 'nothing deployed yet'
    }`,
    `router: listening on :${status.router.listen}${
      status.router.preview !== undefined ? `, preview on :${status.router.preview}` : ''
    }`,
  ];
  if (status.rollout) lines.push(...rolloutLines(status.rollout));
  if (status.pools.length > 0) {
    lines.push('pools:');
    for (const pool of status.pools) lines.push(...poolLines(pool));
  }
  lines.push(lockLine(status.lock));
  return lines;
}

export function rolloutLines(rollout: RolloutView): string[] {
  return [
    `rollout ${rollout.id} → revision ${rollout.revision} (${rollout.version}), ${rollout.strategy}: ${rollout.status}`,
    `  now: ${rollout.stepDescription}`,
    ...(rollout.message ? [`  ${rollout.reason}: ${rollout.message}`] : []),
    ...rollout.analysis.flatMap(analysisLines),
  ];
}

/** `  analysis errors (background, green vs blue): running` and the latest value of each metric. */
function analysisLines(run: AnalysisRunView): string[] {
  const against = run.stablePool === null ? '' : ` vs ${run.stablePool}`;
  return [
    `  analysis ${run.template} (${run.run}, ${run.pool}${against}): ${run.verdict}${run.verdict === 'running' ? '' : ` — ${run.message}`}`,
    ...run.metrics.map(
      (m) =>
        `    ${m.metric}: ${m.measurements} measurement(s)${m.message === null ? '' : `, latest ${m.phase}: ${m.message}`}`,
    ),
  ];
}

function poolLines(pool: PoolView): string[] {
  return [
    `  ${pool.name.padEnd(8)} revision ${pool.revision}  ${pool.version}  weight ${String(pool.weight).padStart(3)}  ${healthText(pool)}`,
    ...pool.instances.map(
      (i) =>
        `    ${i.instanceId}  ${i.host}:${i.port}  ${i.state}  ${i.healthy ? 'healthy' : 'not healthy'}`,
    ),
  ];
}

export function healthText(pool: PoolView): string {
  const healthy = pool.instances.filter((i) => i.healthy).length;
  return `${healthy}/${pool.instances.length} healthy`;
}

export function weightsText(
  pools: readonly { readonly name: string; readonly weight: number }[],
): string {
  return pools.map((pool) => `${pool.name} ${pool.weight}`).join(' · ') || 'no pools';
}

export function lockLine(lock: LockInfo | null): string {
  return lock
    ? `lock: held by ${lock.holder} since ${lock.since} (${lock.reason}); lease until ${lock.expiresAt}`
    : 'lock: free';
}

export function servicesLines(services: readonly ServiceSummary[]): string[] {
  if (services.length === 0)
    return ['No services deployed yet. Deploy one with `switchyard deploy`.'];
  return services.map(
    (s) =>
      `${`${s.service}/${s.environment}`.padEnd(28)} ${(s.version ?? '-').padEnd(16)} ${s.rolloutStatus ?? '-'}`,
  );
}
