// The peer's client for bench/push_peer.py: PouchDB 9 in Node pushes documents to pouchdb-server
// with replicate.to, as a PouchDB app on a phone would.
//
//   node feed.mjs SPEC.json   (run from the scratch folder where `npm ci` installed bench/pouchdb/)
//
// SPEC: {"remote": "http://127.0.0.1:PORT/DB", "batch_size": 200,
//        "devices": [{"name": "...", "docs": [{"_id": "...", ...}, ...]}, ...]}
// Each device's documents go into a local in-memory PouchDB first (not timed); then every device
// replicates to the same remote database at once (timed). Prints one JSON line: the wall time
// from the start of the replications to the end of the last one, this process's CPU over that
// time, and per device the documents written, the failures and the time of each batch (between
// one `change` event and the next: PouchDB emits it when a batch's documents and checkpoint are
// written; the first batch's time includes the replication's set-up requests).

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import PouchDB from 'pouchdb';
import memory from 'pouchdb-adapter-memory';

PouchDB.plugin(memory);

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const locals = [];
for (const device of spec.devices) {
  const db = new PouchDB(`local-${device.name}`, { adapter: 'memory' });
  const written = await db.bulkDocs(device.docs);
  const failed = written.filter((r) => r.error);
  if (failed.length) {
    throw new Error(`local bulkDocs failed for ${failed.length} documents: ${JSON.stringify(failed[0])}`);
  }
  locals.push(db);
}

function replicate(db) {
  return new Promise((resolve) => {
    const batchMs = [];
    const start = performance.now();
    let last = start;
    const replication = db.replicate.to(spec.remote, { batch_size: spec.batch_size });
    replication.on('change', () => {
      const now = performance.now();
      batchMs.push(now - last);
      last = now;
    });
    replication.on('complete', (info) => {
      resolve({
        ok: info.ok,
        status: info.status,
        docs_written: info.docs_written,
        doc_write_failures: info.doc_write_failures,
        errors: (info.errors || []).slice(0, 3).map(String),
        batch_ms: batchMs,
        total_s: (performance.now() - start) / 1000,
      });
    });
    replication.on('error', (err) => {
      resolve({ ok: false, status: 'error', errors: [String(err)], batch_ms: batchMs, docs_written: 0 });
    });
  });
}

const cpu = process.cpuUsage();
const start = performance.now();
const devices = await Promise.all(locals.map(replicate));
const wall = (performance.now() - start) / 1000;
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${JSON.stringify({ wall_s: wall, client_cpu_s: (used.user + used.system) / 1e6, devices })}\n`,
);
for (const db of locals) {
  await db.destroy();
}
