// The npm package `smpp` (node-smpp) as an ESME in the SMPP comparison
// (scripts/bench-compare.sh), through its public API only: connect(),
// session.bind_transmitter(), session.submit_sm(options, callback) and
// session.unbind(). Its session matches responses to requests by
// sequence_number, so it pipelines: each bind keeps `window` submits
// outstanding, sending the next one from the previous one's callback.
//
// Same flags and the same JSON line as the Rust drivers (benches/peers/):
//   node node_smpp_esme.js --target HOST:PORT --system-id ID --password PW \
//     --binds N --window W --count N --text TEXT [--timeout SECS]
// The package is found through NODE_PATH (the harness installs it).
'use strict';

const smpp = require('smpp');

function usage(message) {
  process.stderr.write(`error: usage: ${message}\n`);
  process.exit(64);
}

function parseArgs(argv) {
  const out = { binds: 1, window: 1, count: 0, timeout: 300, text: '', target: '', systemId: '', password: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) usage(`${flag} needs a value`);
    const num = () => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) usage(`${flag} ${value}: not a positive integer`);
      return n;
    };
    switch (flag) {
      case '--target': out.target = value; break;
      case '--system-id': out.systemId = value; break;
      case '--password': out.password = value; break;
      case '--binds': out.binds = num(); break;
      case '--window': out.window = num(); break;
      case '--count': out.count = num(); break;
      case '--text': out.text = value; break;
      case '--timeout': out.timeout = num(); break;
      default: usage(`unknown flag ${flag}`);
    }
  }
  if (!out.target || !out.systemId || out.count < 1 || !out.text) usage('--target, --system-id, --count and --text are required');
  if (out.text.length > 160) usage('--text is over 160 characters');
  return out;
}

const args = parseArgs(process.argv.slice(2));
const [host, portText] = [args.target.slice(0, args.target.lastIndexOf(':')), args.target.slice(args.target.lastIndexOf(':') + 1)];
const port = Number(portText);
const ESME_ROK = 0;

const timer = setTimeout(() => {
  process.stderr.write(`error: run did not finish within ${args.timeout}s\n`);
  process.exit(1);
}, args.timeout * 1000);

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function share(index) {
  return Math.floor(args.count / args.binds) + (index < args.count % args.binds ? 1 : 0);
}

// Resolves with a bound session.
function bind(index) {
  return new Promise((resolve, reject) => {
    const session = smpp.connect({ host, port }, () => {
      session.bind_transmitter({ system_id: args.systemId, password: args.password }, (pdu) => {
        if (pdu.command_status === ESME_ROK) resolve(session);
        else reject(new Error(`bind ${index} refused: status ${pdu.command_status}`));
      });
    });
    session.on('error', (e) => reject(new Error(`bind ${index}: ${e.message}`)));
  });
}

// Sends this bind's share, at most `window` outstanding; resolves with
// its latencies (microseconds) and error count.
function run(session, count) {
  return new Promise((resolve) => {
    const latencies = [];
    let errors = 0;
    let sent = 0;
    let answered = 0;
    const text = Buffer.from(args.text, 'ascii');
    const sendOne = () => {
      sent += 1;
      const start = nowUs();
      session.submit_sm({
        source_addr_ton: 5,
        source_addr: 'simgate',
        dest_addr_ton: 1,
        dest_addr_npi: 1,
        destination_addr: '46700000001',
        data_coding: 0,
        short_message: text,
      }, (pdu) => {
        latencies.push(nowUs() - start);
        if (pdu.command_status !== ESME_ROK) errors += 1;
        answered += 1;
        if (sent < count) sendOne();
        else if (answered === count) resolve({ latencies, errors });
      });
    };
    if (count === 0) resolve({ latencies, errors });
    for (let i = 0; i < Math.min(args.window, count); i += 1) sendOne();
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

async function main() {
  const sessions = await Promise.all(Array.from({ length: args.binds }, (_, i) => bind(i)));
  const started = process.hrtime.bigint();
  const results = await Promise.all(sessions.map((s, i) => run(s, share(i))));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all(sessions.map((s) => new Promise((resolve) => {
    const t = setTimeout(resolve, 2000);
    s.unbind(() => { clearTimeout(t); s.close(); resolve(); });
  })));
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const errors = results.reduce((n, r) => n + r.errors, 0);
  process.stdout.write(JSON.stringify({
    impl: 'node-smpp', binds: args.binds, window: args.window, pipelined: true,
    messages: latencies.length, errors, seconds,
    p50_us: percentile(latencies, 50), p99_us: percentile(latencies, 99),
  }) + '\n');
  clearTimeout(timer);
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`error: ${e.message}\n`);
  process.exit(1);
});
