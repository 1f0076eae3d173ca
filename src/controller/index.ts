export type * from './control-plane.ts';
export { Controller, DEFAULT_TICK_MS } from './controller.ts';
export type { ControllerOptions } from './controller.ts';
export { ControllerCommands } from './controller-commands.ts';
export type { ControllerCommandsOptions } from './controller-commands.ts';
export type { Logger } from './logger.ts';
