import { runRouterProcess } from '../../router/main.ts';
import type { CliIO } from '../io.ts';

export interface RouterCommandOptions {
  readonly state: string;
  readonly adminPort?: number;
  readonly metricsPort?: number;
}

/** `switchyard router`: the data plane in the foreground, until SIGTERM or Ctrl-C. */
export async function routerCommand(options: RouterCommandOptions, _io: CliIO): Promise<number> {
  return runRouterProcess({
    stateDir: options.state,
    adminPort: options.adminPort,
    metricsPort: options.metricsPort,
  });
}
