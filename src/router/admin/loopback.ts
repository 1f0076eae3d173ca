import net from 'node:net';
import { SwitchyardError } from '../../errors.ts';

/**
 * The admin API changes where traffic goes, so it never listens beyond this
 * machine: only loopback addresses are accepted for TCP.
 */
export function assertLoopbackHost(host: string, what: string): void {
  if (isLoopbackHost(host)) return;
  throw new SwitchyardError(
    'ROUTER_ADMIN_ADDRESS',
    `The ${what} cannot listen on ${host}: it accepts only a loopback address (127.0.0.1 or ::1) or a unix socket. Use 127.0.0.1, or leave the host out.`,
  );
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return net.isIPv4(host) && host.startsWith('127.');
}
