/**
 * Prometheus series built from the InstanceMetrics handles at scrape time.
 * These objects have the shape prom-client's Registry reads (name, help,
 * type, get, reset), so they print beside its own metrics; the label work
 * happens once per scrape instead of once per request.
 */
import type { Metric, Registry } from 'prom-client';
import {
  LATENCY_BUCKETS_SECONDS,
  STATUS_CLASSES,
  type InstanceMetrics,
} from './instance-metrics.ts';

interface SeriesValue {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
  readonly metricName?: string;
}

interface Collector {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum';
  get(): { name: string; help: string; type: string; aggregator: 'sum'; values: SeriesValue[] };
  reset(): void;
}

type Handles = () => Iterable<InstanceMetrics>;

function collector(options: {
  name: string;
  help: string;
  type: Collector['type'];
  values: () => SeriesValue[];
}): Collector {
  const { name, help, type } = options;
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => ({ name, help, type, aggregator: 'sum', values: options.values() }),
    // The numbers live in the handles; the registry's reset has nothing to clear here.
    reset: () => undefined,
  };
}

function simple(
  name: string,
  help: string,
  type: 'counter' | 'gauge',
  handles: Handles,
  read: (h: InstanceMetrics) => number,
): Collector {
  return collector({
    name,
    help,
    type,
    values: () => [...handles()].map((h) => ({ labels: h.labels, value: read(h) })),
  });
}

export function registerInstanceCollectors(registry: Registry, handles: Handles): void {
  const collectors: Collector[] = [
    collector({
      name: 'switchyard_router_requests_total',
      help: 'Requests answered, by upstream instance and status class (the router’s own 502 and 504 included; a 503 for lack of a healthy instance is only in switchyard_router_no_upstream_total).',
      type: 'counter',
      values: () =>
        [...handles()].flatMap((h) =>
          STATUS_CLASSES.map((code, i) => ({
            labels: { ...h.labels, code },
            value: h.byClass[i]!,
          })),
        ),
    }),
    collector({
      name: 'switchyard_router_request_duration_seconds',
      help: 'Time from the request reaching the router to the end of its response.',
      type: 'histogram',
      values: () => [...handles()].flatMap(histogramValues),
    }),
    simple(
      'switchyard_router_requests_in_flight',
      'Requests sent to an instance and not yet answered.',
      'gauge',
      handles,
      (h) => h.inFlight,
    ),
    simple(
      'switchyard_router_upstream_connections',
      'Open connections from the router to an instance.',
      'gauge',
      handles,
      (h) => h.connections,
    ),
    simple(
      'switchyard_router_websockets',
      'Open WebSocket connections proxied to an instance.',
      'gauge',
      handles,
      (h) => h.websockets,
    ),
    simple(
      'switchyard_router_retries_total',
      'Requests retried on another instance after failing to connect to this one.',
      'counter',
      handles,
      (h) => h.retries,
    ),
  ];
  // prom-client types its registry for its own classes; it reads only the members above.
  for (const c of collectors) registry.registerMetric(c as unknown as Metric);
}

function histogramValues(h: InstanceMetrics): SeriesValue[] {
  const name = 'switchyard_router_request_duration_seconds';
  const values: SeriesValue[] = [];
  let cumulative = 0;
  LATENCY_BUCKETS_SECONDS.forEach((le, i) => {
    cumulative += h.buckets[i]!;
    values.push({ metricName: `${name}_bucket`, labels: { ...h.labels, le }, value: cumulative });
  });
  values.push({
    metricName: `${name}_bucket`,
    labels: { ...h.labels, le: '+Inf' },
    value: h.count,
  });
  values.push({ metricName: `${name}_sum`, labels: h.labels, value: h.sum });
  values.push({ metricName: `${name}_count`, labels: h.labels, value: h.count });
  return values;
}
