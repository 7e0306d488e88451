// What the dashboard charts: each chart's title, unit and series, each
// series read from the figures document as a gauge, a counter's rate, or a
// histogram's quantile or mean over the last interval.  The family names
// are those of the daemon's registry (GET /metrics lists them).

import { total, STATE_BOUND, fmtCount, fmtRate, fmtBytes, fmtByteRate, fmtSeconds } from './figures.js';

const gauge = (id, label, read) => ({ id, label, kind: 'gauge', read });
const rate = (id, label, read) => ({ id, label, kind: 'rate', read });
const pct = (id, label, hist, q) => ({ id, label, kind: 'quantile', hist, q });
const mean = (id, label, hist) => ({ id, label, kind: 'mean', hist });
const m = (doc) => doc.metrics ?? {};

// The largest state of the battles in the document (0 for none).
export function largestState(doc) {
  let max = 0;
  for (const b of Object.values(doc.battles ?? {}))
    if (b && b.state_bytes > max)
      max = b.state_bytes;
  return max;
}

// Groups of charts, each group a section of the page.
export const SECTIONS = [
  {
    id: 'load', title: 'Load',
    charts: [
      {
        id: 'connections', whole: true, title: 'Connections open', unit: 'connections', fmt: fmtCount,
        series: [
          gauge('conn_http1', 'HTTP/1.1', (d) => total(m(d), 'broadside_connections_open', { protocol: 'http1' })),
          gauge('conn_http2', 'HTTP/2', (d) => total(m(d), 'broadside_connections_open', { protocol: 'http2' })),
        ],
      },
      {
        id: 'streams', whole: true, title: 'Event streams open', unit: 'streams', fmt: fmtCount,
        series: [
          gauge('subscribers', 'event streams', (d) => total(m(d), 'broadside_stream_subscribers')),
          gauge('h2_streams', 'HTTP/2 streams', (d) => total(m(d), 'broadside_http_streams_open')),
        ],
      },
      {
        id: 'battles', whole: true, title: 'Battles by phase', unit: 'battles', fmt: fmtCount,
        series: ['lobby', 'planning', 'resolving', 'ended'].map((phase) =>
          gauge('phase_' + phase, phase, (d) => total(m(d), 'broadside_battles', { phase }))),
      },
      {
        id: 'throughput', title: 'Requests and events per second', unit: 'per second', fmt: fmtRate,
        series: [
          rate('requests', 'requests', (d) => total(m(d), 'broadside_http_requests_total')),
          rate('events', 'events published', (d) => total(m(d), 'broadside_stream_events_total')),
          rate('errors', 'server errors (5xx)', (d) => total(m(d), 'broadside_http_requests_total',
            { status: (s) => typeof s === 'string' && s.startsWith('5') })),
        ],
      },
      {
        id: 'bytes', binary: true, title: 'Stream bytes, raw and sent', unit: 'bytes per second', fmt: fmtByteRate,
        series: [
          rate('bytes_raw', 'raw', (d) => total(m(d), 'broadside_stream_bytes_raw_total')),
          rate('bytes_sent', 'sent (after gzip)', (d) => total(m(d), 'broadside_stream_bytes_wire_total')),
        ],
        // The headline: the compression ratio of the last minute.
        ratio: { raw: 'bytes_raw', sent: 'bytes_sent' },
      },
    ],
  },
  {
    id: 'latency', title: 'Latency, per interval',
    charts: [
      {
        id: 'request_latency', title: 'Request latency', unit: 'seconds', fmt: fmtSeconds,
        series: [
          pct('req_p50', 'p50', 'broadside_http_request_duration_seconds', 0.5),
          pct('req_p99', 'p99', 'broadside_http_request_duration_seconds', 0.99),
        ],
      },
      {
        id: 'publish_latency', title: 'Change to publish', unit: 'seconds', fmt: fmtSeconds,
        series: [
          pct('pub_p50', 'p50', 'broadside_stream_publish_delay_seconds', 0.5),
          pct('pub_p99', 'p99', 'broadside_stream_publish_delay_seconds', 0.99),
        ],
      },
      {
        id: 'resolution_latency', title: 'Round resolution', unit: 'seconds', fmt: fmtSeconds,
        series: [
          pct('res_p50', 'p50', 'broadside_round_resolution_seconds', 0.5),
          pct('res_p99', 'p99', 'broadside_round_resolution_seconds', 0.99),
        ],
      },
      {
        id: 'commit_latency', title: 'Commit latency', unit: 'seconds', fmt: fmtSeconds,
        series: [
          pct('commit_p50', 'p50', 'broadside_store_commit_seconds', 0.5),
          pct('commit_p99', 'p99', 'broadside_store_commit_seconds', 0.99),
        ],
      },
      {
        id: 'batch', title: 'Items per commit', unit: 'items', fmt: fmtCount,
        series: [
          mean('batch_mean', 'mean', 'broadside_store_batch_size'),
          { ...pct('batch_p99', 'p99', 'broadside_store_batch_size', 0.99), floor: 1 },
        ],
      },
    ],
  },
  {
    id: 'health', title: 'Health',
    charts: [
      {
        id: 'reconnects', title: 'Reconnects', unit: 'per second', fmt: fmtRate,
        series: [
          rate('replays', 'replayed from the ring', (d) => total(m(d), 'broadside_stream_replays_total')),
          rate('resends', 'sent a snapshot', (d) => total(m(d), 'broadside_stream_snapshots_total', { reason: 'resend' })),
        ],
      },
      {
        id: 'dropped', title: 'Streams dropped by the server', unit: 'per second', fmt: fmtRate,
        series: [
          rate('drop_backlog', 'slow (backlog)', (d) => total(m(d), 'broadside_stream_dropped_total', { reason: 'backlog' })),
          rate('drop_timeout', 'stuck (timeout)', (d) => total(m(d), 'broadside_stream_dropped_total', { reason: 'timeout' })),
          rate('drop_other', 'other', (d) => total(m(d), 'broadside_stream_dropped_total',
            { reason: (r) => r !== 'backlog' && r !== 'timeout' })),
        ],
      },
      {
        id: 'memory', binary: true, title: 'Resident memory', unit: 'bytes', fmt: fmtBytes,
        series: [
          gauge('rss', 'resident', (d) => total(m(d), 'process_resident_memory_bytes')),
        ],
      },
      {
        id: 'states', binary: true, title: 'Largest battle states', unit: 'bytes', fmt: fmtBytes,
        series: [
          gauge('state_max', 'largest state now', largestState),
          gauge('snapshot_max', 'largest snapshot sent', (d) => total(m(d), 'broadside_snapshot_bytes_max')),
        ],
        threshold: { value: STATE_BOUND, label: '100 KiB bound' },
        top: true,
      },
    ],
  },
];

export const CHARTS = SECTIONS.flatMap((s) => s.charts);
export const SERIES = CHARTS.flatMap((c) => c.series);
