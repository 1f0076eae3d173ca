import { describe, expect, it } from 'vitest';
import { ContainerRuntime } from './container/container-runtime.ts';
import { createRuntime } from './create-runtime.ts';
import { ProcessRuntime } from './process/process-runtime.ts';

describe('createRuntime', () => {
  it('makes a process runtime with the given options', () => {
    const runtime = createRuntime({ type: 'process', stateDir: '/tmp/sy', logMaxBytes: 1234 });
    expect(runtime).toBeInstanceOf(ProcessRuntime);
    expect(runtime.type).toBe('process');
    expect((runtime as ProcessRuntime).logMaxBytes).toBe(1234);
  });

  it('makes a container runtime that keeps what it removes under the state directory', () => {
    const runtime = createRuntime({ type: 'container', stateDir: '/tmp/sy' });
    expect(runtime).toBeInstanceOf(ContainerRuntime);
    expect(runtime.type).toBe('container');
    expect((runtime as ContainerRuntime).stateDir).toBe('/tmp/sy');
  });

  it.each(['ssh', 'kubernetes'] as const)('says the %s runtime is not supported yet', (type) => {
    expect(() => createRuntime({ type, stateDir: '/tmp/sy' })).toThrow(
      expect.objectContaining({ code: 'RUNTIME_NOT_SUPPORTED' }),
    );
  });
});
