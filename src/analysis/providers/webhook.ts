/**
 * A `webhook` metric, the way Flagger's webhooks work: POST what is being
 * rolled out as JSON; a 2xx answer passes, any other status fails. A 2xx
 * whose body is JSON saying `"pass": false` fails too, so a checker that
 * always answers 200 can still say no. No answer (unreachable, timed out) is
 * an error, not a failure: the judge counts those separately.
 */
import { request } from 'undici';
import type { AnalysisSubject, Observation } from '../types.ts';
import { excerpt, readBounded } from './bounded-body.ts';
import { deadline } from './deadline.ts';
import { describeFailure, errorObservation } from './failure.ts';

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** Enough of the answer to quote its start in the measurement. */
const READ_BYTES = 4096;

/** The JSON body the webhook receives: what the metric judges. */
export type WebhookPayload = AnalysisSubject;

export interface WebhookOptions {
  readonly url: string;
  readonly payload: WebhookPayload;
  /** Default DEFAULT_WEBHOOK_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Calls the webhook; never throws. */
export async function callWebhook(options: WebhookOptions): Promise<Observation> {
  const { url } = options;
  const limit = deadline(options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS, options.signal);
  let status: number;
  let text: string;
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(options.payload),
      signal: limit.signal,
    });
    status = response.statusCode;
    text = (await readBounded(response.body, READ_BYTES)).text;
  } catch (error) {
    if (limit.signal.aborted) return errorObservation(`The webhook ${url} ${limit.outcome()}.`);
    return errorObservation(`Cannot reach the webhook ${url} (${describeFailure(error)}).`);
  }
  const quoted = text.trim() === '' ? '' : `: ${JSON.stringify(excerpt(text))}`;
  if (status < 200 || status >= 300)
    return { kind: 'pass', pass: false, detail: `the webhook ${url} answered ${status}${quoted}` };
  if (saysFail(text))
    return {
      kind: 'pass',
      pass: false,
      detail: `the webhook ${url} answered ${status} with "pass": false${quoted}`,
    };
  return { kind: 'pass', pass: true, detail: `the webhook ${url} answered ${status}${quoted}` };
}

/** `{ "pass": false }` in a JSON body; anything else (no body, plain text) leaves the status to decide. */
function saysFail(text: string): boolean {
  try {
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null && (body as { pass?: unknown }).pass === false;
  } catch {
    return false;
  }
}
