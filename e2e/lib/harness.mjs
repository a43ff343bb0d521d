// Shared pieces of the browser tests: a static server over dist/, Debian's Chromium, golden values.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..', '..');
export const dist = path.join(root, 'dist');
export const screenshots = path.join(root, 'e2e', 'screenshots');

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serve `dir` on 127.0.0.1 at a free port; resolves to { url, close }. `mounts` maps URL
 * prefixes to folders instead (e.g. { '/course/attention/': dist, '/examples/': ... }), to
 * serve the site from a sub-path next to other pages. `port` 0 takes a free one. `log` lists
 * the paths requested.
 */
export function serve(dir = dist, mounts = { '/': dir }, port = 0) {
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    throw new Error(`${dir}/index.html is missing: build the site first (trunk build --release)`);
  }
  // Every path requested, in order: what reached the server, whoever asked.
  const log = [];
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    log.push(pathname);
    const prefix = Object.keys(mounts)
      .filter((p) => pathname.startsWith(p))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    const base = mounts[prefix];
    let file = path.normalize(path.join(base, pathname.slice(prefix.length)));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.readFile(file, (err, body) => {
      if (err) {
        res.writeHead(404).end('not found');
        return;
      }
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    });
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/`,
        log,
        // Kept-alive connections too, so a closed server is gone for the browser at once.
        close: () =>
          new Promise((r) => {
            server.close(r);
            server.closeAllConnections();
          }),
      });
    });
  });
}

// Flags that keep Chromium from reaching for a network this machine does not have.
const quiet = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The two browser configurations every test runs in. */
export const configurations = [
  { name: 'webgpu', args: ['--enable-unsafe-webgpu'], backend: 'webgpu' },
  { name: 'no-webgpu', args: [], backend: 'cpu' },
];

export async function launch(configuration) {
  const userDataDir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'kernelscope-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...quiet, ...configuration.args],
    viewport: { width: 1280, height: 900 },
    // The site's service worker (its offline copy) would answer the page's requests itself,
    // where page.route cannot see them; only the offline test allows it.
    serviceWorkers: configuration.serviceWorkers ?? 'block',
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Open a page that records every console error and uncaught exception. */
export async function openPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`page: ${err.message}`));
  return { page, errors };
}

export function saveScreenshot(page, name) {
  fs.mkdirSync(screenshots, { recursive: true });
  return page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}
