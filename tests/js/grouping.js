// Reports crashes of two bugs with @sentry/node: one reached from two entry points with ids
// in its message, one different. Prints "<kind> <event id>" per event.
const Sentry = require("@sentry/node");

function loadInvoice(id) {
  throw new TypeError(`invoice ${id} has no customer (shard 0x${(id * 977).toString(16)})`);
}
function httpHandler(id) {
  return loadInvoice(id);
}
function queueWorker(ids) {
  ids.forEach((id) => loadInvoice(id));
}
function parseQuantity(text) {
  const n = Number.parseInt(text, 10);
  if (Number.isNaN(n)) throw new RangeError(`bad quantity "${text}"`);
  return n;
}

async function main() {
  const [dsn] = process.argv.slice(2);
  Sentry.init({ dsn, release: "shop-node@2.0.0", tracesSampleRate: 0, defaultIntegrations: false, integrations: [] });
  const runs = [
    ["invoice", () => httpHandler(101)],
    ["invoice", () => httpHandler(202)],
    ["invoice", () => queueWorker([303])],
    ["quantity", () => parseQuantity("ten")],
    ["quantity", () => parseQuantity("a dozen")],
  ];
  for (const [kind, run] of runs) {
    try {
      run();
    } catch (error) {
      console.log(kind, Sentry.captureException(error));
    }
  }
  await Sentry.flush(10000);
}

main();
