/**
 * A controller in its own process for bench/control-plane.ts, steered over
 * IPC so its memory is its own: { cmd: 'deploy', version, specText } |
 * { cmd: 'promote' } | { cmd: 'rollout', id } | { cmd: 'rss' } | { cmd: 'stop' }.
 *   node bench/controller-child.ts STATE_DIR
 */
import { startController } from '../src/daemon/start-controller.ts';
import { parseSpec } from '../src/spec/index.ts';

const KEY = { service: 'shop', environment: 'default' } as const;
const stateDir = process.argv[2] as string;
const running = await startController({ stateDir });
const send = (message: unknown): void => {
  process.send?.(message);
};

process.on(
  'message',
  (message: { cmd: string; version?: string; specText?: string; id?: number; seq: number }) => {
    const reply = (value: unknown): void => send({ seq: message.seq, value });
    const fail = (error: unknown): void => send({ seq: message.seq, error: String(error) });
    switch (message.cmd) {
      case 'deploy': {
        const spec = parseSpec({
          text: message.specText as string,
          file: 'switchyard.yaml',
          env: {},
        });
        running.controller
          .deploy({ ...KEY, version: message.version as string, spec, requestedBy: 'bench' })
          .then((view) => reply(view.id), fail);
        break;
      }
      case 'promote':
        running.controller.promote(KEY, { full: false }).then((view) => reply(view.id), fail);
        break;
      case 'rollout':
        reply(running.store.getRollout(message.id as number) ?? null);
        break;
      case 'rss':
        reply(process.memoryUsage().rss);
        break;
      case 'stop':
        running.close().then(() => {
          reply(true);
          process.exit(0);
        }, fail);
        break;
    }
  },
);
send({ ready: true, pid: process.pid });
