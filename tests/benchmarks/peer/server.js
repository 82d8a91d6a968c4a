// PostGraphile 4 serving the benchmark database: the peer of `make bench-peer`.
//
// Started by tests/benchmarks/bench_peer.py with NODE_PATH pointing at the scratch install
// (.local/bench-peer/node_modules) and its settings in the environment:
//   PEER_DATABASE_URL  the bench database as OUR restricted app role (row-level security applies)
//   PEER_PORT          loopback port to listen on
//   PEER_POOL_SIZE     connections per process (the API's DISTRICT_PPM_DB_POOL_SIZE)
//   PEER_WORKERS       processes sharing the port (node's cluster module); 1 by default
//
// The tenant is set per request from the X-District-Id header through pgSettings: PostGraphile
// runs `set_config('app.district_id', <id>, true)` in the request's transaction, exactly the
// setting our RLS policies read. A request without the header sees no row at all.
// The options are PostGraphile's production recommendations: no GraphiQL, no query log, no
// schema watching, no retry on a failed start, RBAC respected.
'use strict';

const cluster = require('cluster');
const http = require('http');
const { Pool } = require('pg');
const { postgraphile } = require('postgraphile');

const port = Number(process.env.PEER_PORT);
const workers = Number(process.env.PEER_WORKERS || 1);

function serve() {
  const pool = new Pool({
    connectionString: process.env.PEER_DATABASE_URL,
    max: Number(process.env.PEER_POOL_SIZE || 10),
    // Pooled connections are kept, as the API's SQLAlchemy pool keeps its own: no backend
    // start-up inside a timed run.
    idleTimeoutMillis: 0,
  });
  const handler = postgraphile(pool, 'public', {
    graphiql: false,
    enhanceGraphiql: false,
    disableQueryLog: true,
    watchPg: false,
    retryOnInitFail: false,
    ignoreRBAC: false,
    dynamicJson: true,
    setofFunctionsContainNulls: false,
    legacyRelations: 'omit',
    showErrorStack: false,
    extendedErrors: ['errcode'],
    pgSettings: (req) => ({ 'app.district_id': req.headers['x-district-id'] || '' }),
  });
  const server = http.createServer(handler);
  server.listen(port, '127.0.0.1', () => {
    process.stdout.write(`postgraphile ${process.pid} listening on 127.0.0.1:${port}\n`);
  });
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i += 1) cluster.fork();
  cluster.on('exit', (worker, code) => {
    process.stderr.write(`postgraphile worker ${worker.process.pid} exited (${code})\n`);
  });
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers)) worker.kill('SIGTERM');
    process.exit(0);
  });
} else {
  serve();
}
