import { SwitchyardError } from '../errors.ts';
import type { RouterConfig } from './config.ts';

/**
 * Checks what the router itself depends on before anything is bound: names
 * unique where the proxy looks them up, weights usable, no port claimed
 * twice (DESIGN.md: two services may not claim the same port). Field shapes
 * are the config schema's job; this is the part a well-typed config can still
 * get wrong.
 */
export function validateTopology(config: RouterConfig): void {
  const problems: string[] = [];
  const services = new Set<string>();
  const ports = new Map<number, string>();
  const claim = (port: number, owner: string): void => {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      problems.push(`${owner}: port ${port} is not a TCP port`);
      return;
    }
    if (port === 0) return;
    const other = ports.get(port);
    if (other !== undefined) problems.push(`${owner}: port ${port} is already claimed by ${other}`);
    else ports.set(port, owner);
  };
  for (const service of config.services) {
    if (services.has(service.name)) problems.push(`service ${service.name} appears twice`);
    services.add(service.name);
    claim(service.listen.port, `${service.name} listen`);
    if (service.preview !== undefined) claim(service.preview.port, `${service.name} preview`);
    const pools = new Set<string>();
    for (const pool of service.pools) {
      if (pools.has(pool.name)) problems.push(`${service.name}: pool ${pool.name} appears twice`);
      pools.add(pool.name);
      if (!Number.isInteger(pool.weight) || pool.weight < 0) {
        problems.push(
          `${service.name}/${pool.name}: weight ${pool.weight} is not a non-negative integer`,
        );
      }
      const ids = new Set<string>();
      for (const instance of pool.instances) {
        if (ids.has(instance.id))
          problems.push(`${service.name}/${pool.name}: instance ${instance.id} appears twice`);
        ids.add(instance.id);
      }
    }
    if (service.previewPool !== undefined && !pools.has(service.previewPool)) {
      problems.push(`${service.name}: previewPool ${service.previewPool} is not one of its pools`);
    }
  }
  if (problems.length > 0) {
    throw new SwitchyardError(
      'ROUTER_BAD_CONFIG',
      `The router config has ${problems.length} problem(s): ${problems.join('; ')}.`,
      { details: problems },
    );
  }
}
