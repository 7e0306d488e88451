// The dashboard (dashboard.html): /metrics every 2 s into its table.
"use strict";

// Parses the Prometheus text format into [{name, labels, value}].
function parseMetrics(text) {
  const samples = [];
  const re = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = re.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2];
    samples.push({ name: m[1], labels: labels, value: Number(m[3]) });
  }
  return samples;
}

function sum(samples, name) {
  let total = 0;
  for (const s of samples)
    if (s.name === name) total += s.value;
  return total;
}

function pick(samples, name, label, value) {
  let total = 0;
  for (const s of samples)
    if (s.name === name && s.labels[label] === value) total += s.value;
  return total;
}

// The q-quantile of a histogram family (all series summed), as
// Prometheus' histogram_quantile() estimates it.
function quantile(samples, name, q) {
  const buckets = new Map();
  for (const s of samples) {
    if (s.name !== name + "_bucket") continue;
    const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) || 0) + s.value);
  }
  const les = [...buckets.keys()].sort((a, b) => a - b);
  const total = les.length ? buckets.get(les[les.length - 1]) : 0;
  if (!total) return NaN;
  let prevLe = 0, prevCount = 0;
  for (const le of les) {
    const count = buckets.get(le);
    if (count >= q * total) {
      if (le === Infinity) return prevLe;
      return prevLe + (le - prevLe) * (q * total - prevCount) /
          Math.max(count - prevCount, 1);
    }
    prevLe = le; prevCount = count;
  }
  return prevLe;
}

function ms(seconds) {
  return isNaN(seconds) ? "\u2013" : (seconds * 1000).toFixed(2) + " ms";
}

function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + " " + units[i];
}

function duration(s) {
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60);
  return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " +
      (s % 60) + "s";
}

function show(id, text) {
  document.getElementById(id).textContent = text;
}

async function refresh() {
  try {
    const r = await fetch("/metrics", { cache: "no-store" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    const samples = parseMetrics(await r.text());
    show("conns", pick(samples, "broadside_connections_open", "protocol",
        "http1") + ", " + pick(samples, "broadside_connections_open",
        "protocol", "http2"));
    show("battles", ["lobby", "planning", "ended"].map(p =>
        pick(samples, "broadside_battles", "phase", p)).join(", "));
    show("subs", sum(samples, "broadside_stream_subscribers"));
    show("requests", sum(samples, "broadside_http_requests_total"));
    show("reqlat", ms(quantile(samples,
        "broadside_http_request_duration_seconds", 0.5)) + " / " +
        ms(quantile(samples, "broadside_http_request_duration_seconds",
        0.99)));
    show("publat", ms(quantile(samples,
        "broadside_stream_publish_delay_seconds", 0.5)) + " / " +
        ms(quantile(samples, "broadside_stream_publish_delay_seconds",
        0.99)));
    show("resolve", ms(quantile(samples,
        "broadside_round_resolution_seconds", 0.99)));
    const commits = sum(samples, "broadside_store_batch_size_count");
    show("commits", commits + ", " + (commits ? (sum(samples,
        "broadside_store_batch_size_sum") / commits).toFixed(1) : "\u2013") +
        ", " + ms(quantile(samples, "broadside_store_commit_seconds", 0.99)));
    show("events", sum(samples, "broadside_stream_events_total"));
    show("bytes", bytes(sum(samples, "broadside_stream_bytes_raw_total")) +
        " / " + bytes(sum(samples, "broadside_stream_bytes_wire_total")));
    show("resume", sum(samples, "broadside_stream_replays_total") + " / " +
        pick(samples, "broadside_stream_snapshots_total", "reason",
        "resend"));
    show("dropped", pick(samples, "broadside_stream_dropped_total",
        "reason", "backlog") + ", " + pick(samples,
        "broadside_stream_dropped_total", "reason", "timeout"));
    show("snapmax", bytes(sum(samples, "broadside_snapshot_bytes_max")));
    show("rss", bytes(sum(samples, "process_resident_memory_bytes")));
    show("uptime", duration(sum(samples, "broadside_uptime_seconds")));
    const build = samples.find(s => s.name === "broadside_build_info");
    show("version", build ? build.labels.version : "?");
    show("status", "Updated " + new Date().toLocaleTimeString() + ".");
  } catch (e) {
    show("status", "Cannot read /metrics: " + e.message);
  }
}

refresh();
setInterval(refresh, 2000);
