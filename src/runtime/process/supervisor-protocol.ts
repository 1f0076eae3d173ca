/**
 * The two messages between the runtime and its supervisor process, sent over
 * the IPC channel that exists only while `start` runs. The command and its
 * environment travel this way rather than on the command line because
 * /proc/<pid>/cmdline is readable by every user and the environment may hold
 * secrets.
 */

export interface SuperviseRequest {
  readonly type: 'supervise';
  readonly command: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logPath: string;
  readonly exitPath: string;
  readonly logMaxBytes: number;
  /** Secret values to mask in every line the instance writes, before it reaches the file. */
  readonly mask?: readonly string[];
}

export type SuperviseReply =
  | { readonly type: 'started'; readonly pid: number; readonly startTime: number }
  | { readonly type: 'failed'; readonly message: string };
