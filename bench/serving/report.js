// bench/serving: table rows and the verdict on the target.

const TARGET = { rate: 10_000, p99Ms: 10, concurrency: 64 };

const ms = (v) => (Number.isFinite(v) ? v.toFixed(3) : '-');
const int = (v) => (Number.isFinite(v) ? Math.round(v) : NaN);
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '');
const pct = (v) => (Number.isFinite(v) ? String(Math.round(v)) : '-');
const errors = (r) => (r.errors > 0 ? String(r.errors) : '0');

export const runtimeHeaders = ['scenario', 'path', 'calls/s', 'predictions/s', 'us/call', 'p50 ms', 'p99 ms', 'errors', 'other load %'];

export function runtimeRow(name, path, r, rowsPerCall) {
  return [name, path, int(r.calls), int(r.calls * rowsPerCall), int(1e6 / r.calls), ms(r.p50), ms(r.p99), r.errors === undefined ? '0' : errors(r), pct(r.others)];
}

export const oipHeaders = ['scenario', 'path', 'req/s', 'pred/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'errors', 'batch rows', 'server cores', 'server us/req', 'loadgen cores', 'server p99 <= ms', 'x HTTP floor', 'p50 x ORT', 'other load %'];

/** One OIP (or bare HTTP) measurement; `httpFloor` and `ort` give the ratio columns. */
export function oipRow(name, path, r, { httpFloor, ort } = {}) {
  return [
    name, path, int(r.rate), int(r.predictions), ms(r.p50), ms(r.p99), ms(r.p999), ms(r.max), errors(r),
    Number.isFinite(r.meanBatchRows) ? r.meanBatchRows.toFixed(1) : '', r.serverCores.toFixed(2), int(r.serverCpuPerRequest * 1e6), r.clientCores.toFixed(2),
    r.p99Bound === undefined ? '' : String(r.p99Bound), httpFloor ? ratio(r.rate, httpFloor.rate) : '', ort ? ratio(r.p50, ort.p50) : '', pct(r.others),
  ];
}

export const predictHeaders = ['scenario', 'path', 'req/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'errors', 'batch rows', 'server cores', 'server us/req', 'loadgen cores', 'server p99 <= ms', 'other load %', 'model adds p50 ms', 'model adds us/req'];

/** Per concurrency: the online-features route alone, then the prediction API, with what the model adds. */
export function predictRows(results, concurrencies) {
  const rows = [];
  for (const c of concurrencies) {
    const f = results.get(`features|${c}`);
    const p = results.get(`predict|${c}`);
    const common = (r) => [int(r.rate), ms(r.p50), ms(r.p99), ms(r.p999), ms(r.max), errors(r), Number.isFinite(r.meanBatchRows) ? r.meanBatchRows.toFixed(1) : '', r.serverCores.toFixed(2), int(r.serverCpuPerRequest * 1e6), r.clientCores.toFixed(2), r.p99Bound === undefined ? '' : String(r.p99Bound), pct(r.others)];
    rows.push([`1 user, c${c}`, 'online features only', ...common(f), '', '']);
    rows.push(['', 'predict (lookup + model)', ...common(p), ms(p.p50 - f.p50), int((p.serverCpuPerRequest - f.serverCpuPerRequest) * 1e6)]);
    const q = results.get(`predict-nolog|${c}`);
    if (q) rows.push(['', 'predict, prediction log off', ...common(q), ms(q.p50 - f.p50), int((q.serverCpuPerRequest - f.serverCpuPerRequest) * 1e6)]);
  }
  return rows;
}

/** The target (10,000 predictions/s at c64 with p99 < 10 ms), per deployment, honestly. */
export function targetVerdicts(results, deployments, baseline) {
  const lines = [`target: ${TARGET.rate.toLocaleString('en')} predictions/s at c${TARGET.concurrency} (1 row a request) with p99 < ${TARGET.p99Ms} ms:`];
  for (const d of deployments) {
    const r = results.get(`${d.name}|${TARGET.concurrency}`);
    if (!r) continue;
    const met = r.rate >= TARGET.rate && r.p99 < TARGET.p99Ms;
    const why = met ? '' : ` (${[r.rate < TARGET.rate ? `${Math.round(r.rate).toLocaleString('en')}/s is ${((100 * r.rate) / TARGET.rate).toFixed(0)}% of the rate` : '', r.p99 >= TARGET.p99Ms ? `p99 ${ms(r.p99)} ms is over` : ''].filter(Boolean).join('; ')})`;
    lines.push(`  ${d.label}: ${Math.round(r.rate).toLocaleString('en')} predictions/s, p99 ${ms(r.p99)} ms: ${met ? 'MET' : 'NOT MET'}${why}`);
  }
  const floor = baseline?.get(TARGET.concurrency);
  if (floor) lines.push(`  for scale: the bare node:http server answers ${Math.round(floor.rate).toLocaleString('en')} req/s at c${TARGET.concurrency} on this machine (p99 ${ms(floor.p99)} ms), with the same load generator beside it`);
  return lines.join('\n');
}
