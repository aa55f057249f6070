// Builds the app into dist/, or into TRAIL_WEB_OUT_DIR (crates/trail-web/build.rs
// builds into Cargo's OUT_DIR). Hashed file names let the server cache /assets/* for a year; each
// asset also gets a brotli twin, which the server sends to browsers that take it.
import { defineConfig, type Plugin } from 'vite';
import preact from '@preact/preset-vite';
import { brotliCompressSync, constants } from 'node:zlib';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Files smaller than this are sent as they are: compression would not pay. */
const COMPRESS_FROM_BYTES = 1024;
const COMPRESSIBLE = /\.(js|css|html|svg|json|txt|map)$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Writes `x.br` next to every compressible file `x` of the build. */
function brotli(): Plugin {
  let outDir = 'dist';
  return {
    name: 'trail-brotli',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      for (const file of filesUnder(outDir)) {
        if (!COMPRESSIBLE.test(file) || statSync(file).size < COMPRESS_FROM_BYTES) continue;
        const packed = brotliCompressSync(readFileSync(file), {
          params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY },
        });
        writeFileSync(`${file}.br`, packed);
      }
    },
  };
}

export default defineConfig({
  plugins: [preact({ prerender: { enabled: false } }), brotli()],
  build: {
    outDir: process.env.TRAIL_WEB_OUT_DIR || 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The server's Content-Security-Policy allows no inline scripts or styles:
    // every asset must be a file, however small.
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
    // ECharts (with zrender) is one chunk of its own, fetched only by screens
    // with charts and cached across them. Its core with the charts used (bar,
    // line, scatter, graph, and the zoom of Usage Analysis) is about 620 kB
    // minified (175 kB as sent, brotli): above Vite's default warning, and
    // expected.
    chunkSizeWarningLimit: 700,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [{ name: 'echarts', test: /node_modules[\\/](echarts|zrender|tslib)[\\/]/ }],
        },
      },
    },
  },
  server: {
    // `npm run dev` talks to a Trail running on the default address.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
    },
  },
});
