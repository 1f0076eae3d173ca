/**
 * `notifications:` — where alerts go (DESIGN.md, notify/): Slack incoming
 * webhooks, or any URL with the body signed by HMAC-SHA256.
 */
import { z } from 'zod';
import { DEFAULT_NOTIFICATION_REFIRE_AFTER } from '../defaults.ts';
import { exactlyOneOf, positiveDuration } from './primitives.ts';

export const notification = exactlyOneOf('notification', {
  slack: z.strictObject({
    webhookUrl: z.url(),
    /** Send an unacknowledged alert again after this long. */
    refireAfter: positiveDuration.prefault(DEFAULT_NOTIFICATION_REFIRE_AFTER),
    channel: z.string().min(1).optional(),
  }),
  webhook: z.strictObject({
    url: z.url(),
    /** Key of the HMAC-SHA256 signature sent with each call. */
    secret: z.string().min(1),
    refireAfter: positiveDuration.optional(),
  }),
}, { remedy: 'give each its own list entry' });

export type SlackNotificationSpec = {
  readonly webhookUrl: string;
  readonly refireAfter: string;
  readonly channel?: string;
};
export type WebhookNotificationSpec = {
  readonly url: string;
  readonly secret: string;
  readonly refireAfter?: string;
};
export type NotificationSpec =
  | { readonly slack: SlackNotificationSpec }
  | { readonly webhook: WebhookNotificationSpec };
