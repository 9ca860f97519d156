// Build tests/js/app with esbuild and the real @sentry/esbuild-plugin, configured as a vendor would.
import * as esbuild from "esbuild";
import { sentryEsbuildPlugin } from "@sentry/esbuild-plugin";

const [entry, outdir, url, authToken, org, project, release] = process.argv.slice(2);
await esbuild.build({
  entryPoints: [entry], bundle: true, minify: true, sourcemap: true, platform: "node",
  external: ["@sentry/node"], outdir,
  plugins: [sentryEsbuildPlugin({ url, authToken, org, project, release: { name: release }, telemetry: false, debug: true })],
});
