// Bundled by esbuild into one script for the test page: the real @sentry/browser as window.Sentry.
import * as Sentry from "@sentry/browser";

window.Sentry = Sentry;
