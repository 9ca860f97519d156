// Entry point: reports one crash to the DSN given on the command line, prints its event id.
const Sentry = require("@sentry/node");
const { checkout } = require("./cart");

function main() {
  const [dsn, release] = process.argv.slice(2);
  Sentry.init({ dsn, release, tracesSampleRate: 0, defaultIntegrations: false, integrations: [] });
  let eventId = null;
  try {
    checkout({ items: [{ sku: "tea", qty: 2 }, { sku: "unknown-sku", qty: 1 }] });
  } catch (error) {
    eventId = Sentry.captureException(error);
  }
  return Sentry.flush(10000).then(() => console.log(eventId));
}

main();
