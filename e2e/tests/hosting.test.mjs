// Hosting and embedding: the site served from a sub-path, the example blog page's iframes, the
// Content-Security-Policy, the share buttons, and the performance budget of a first load.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { serve, configurations, launch, openPage, dist, root } from '../lib/harness.mjs';

const SUB_PATH = '/course/attention/';
let server;
before(async () => {
  server = await serve(dist, { [SUB_PATH]: dist, '/examples/': path.join(root, 'examples') });
});
after(async () => {
  await server?.close();
});

/** Record CSP violations (in every frame) as console errors, and every request's URL. */
async function watch(page, errors) {
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  return requests;
}

const origin = () => new URL(server.url).origin;

for (const configuration of configurations) {
  test(`${configuration.name}: the site works from a sub-path, under its CSP, asking no other host`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      const requests = await watch(page, errors);
      await page.goto(origin() + SUB_PATH + '?maps=elu,trig');
      await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });
      await page.getByTestId('map-trig').waitFor();
      const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
      assert.ok(!csp.split(/[\s;]+/).includes("'unsafe-eval'"), 'never unsafe-eval');
      assert.ok(!/script-src[^;]*'unsafe-inline'/.test(csp), 'no blanket inline scripts');
      for (const url of requests) {
        assert.ok(url.startsWith(origin() + SUB_PATH) || url.startsWith('data:'), `only the site itself: ${url}`);
      }
      assert.ok(requests.some((u) => u.endsWith('model.safetensors')), 'the model comes from the site');
      assert.deepEqual(errors, [], 'no console errors, no CSP violations');
    } finally {
      await browser.close();
    }
  });

  test(`${configuration.name}: the example blog page embeds two views, each alone and compact`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      await watch(page, errors);
      await page.goto(origin() + '/examples/embed.html');
      const frames = page.locator('iframe');
      assert.equal(await frames.count(), 2);
      for (const [index, view] of [[0, 'maps'], [1, 'errors']]) {
        const frame = page.frameLocator('iframe').nth(index);
        await frame.getByTestId('embed').waitFor({ timeout: 60_000 });
        await frame.getByTestId(`view-${view}`).waitFor({ timeout: 60_000 });
        await frame.getByTestId('map-softmax').or(frame.getByTestId('abs-elu')).first().waitFor();
        assert.equal(await frame.locator('.tabs').count(), 0, 'no tabs in an embed');
        assert.equal(await frame.locator('textarea').count(), 0, 'no text box in an embed');
      }
      assert.deepEqual(errors, [], 'no console errors, no CSP violations, in the page or its frames');
    } finally {
      await browser.close();
    }
  });
}

test('copy link and copy embed code give the current state, and the embed shows the same view', async () => {
  const browser = await launch(configurations[1]);
  try {
    const { page, errors } = await openPage(browser.context);
    await watch(page, errors);
    await page.goto(origin() + SUB_PATH + '?layer=1&head=8&maps=performer&seed=3');
    const values = await page.getByTestId('map-softmax').getAttribute('data-values');
    const performer = await page.getByTestId('map-performer').getAttribute('data-values');
    await page.getByTestId('copy-link').click();
    assert.equal(await page.getByTestId('share-text').inputValue(), page.url());
    await page.getByTestId('copy-embed').click();
    const code = await page.getByTestId('share-text').inputValue();
    const src = code.match(/<iframe src="([^"]+)"/)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(src?.includes('embed=1') && src.includes('layer=1') && src.includes('seed=3'), code);
    assert.match(code, /title="kernelscope: Attention maps"/);

    const embed = await openPage(browser.context);
    await embed.page.goto(src);
    await embed.page.getByTestId('embed').waitFor({ timeout: 60_000 });
    await embed.page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });
    assert.equal(await embed.page.getByTestId('map-softmax').getAttribute('data-values'), values);
    assert.equal(await embed.page.getByTestId('map-performer').getAttribute('data-values'), performer);
    assert.deepEqual([...errors, ...embed.errors], []);
  } finally {
    await browser.close();
  }
});

// Every file of a first load, compressed as a static host would send it (gzip -9), and the
// time from navigation to the first drawn map (the app's "kernelscope:maps-drawn" mark).
// Words the default text does not have, so their embedding shards are not in yet.
const NEW_WORDS = 'Reykjavik hauptbahnhof quixotic xylophone zeppelin';

test('performance budget of a first load: compressed transfer and time to the first map', async () => {
  const loads = [];
  let firstMapFiles;
  let transfer;
  let typed;
  let memory;
  for (let run = 0; run < 3; run++) {
    const browser = await launch(configurations[0]);
    try {
      const { page, errors } = await openPage(browser.context);
      const bodies = new Map();
      // When each response ended (ms since the epoch), to tell what came before the first map.
      const ended = new Map();
      page.on('requestfinished', (r) => {
        const t = r.timing();
        ended.set(r.url(), t.startTime + t.responseEnd);
      });
      page.on('response', async (r) => {
        try {
          bodies.set(r.url(), await r.body());
        } catch {
          // A response without a body (a redirect) costs nothing.
        }
      });
      await page.goto(origin() + SUB_PATH);
      await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });
      const [firstMap, drawnAt] = await page.evaluate(() => {
        const mark = performance.getEntriesByName('kernelscope:maps-drawn')[0]?.startTime;
        return [mark, performance.timeOrigin + mark];
      });
      loads.push(firstMap);
      // The rest of the model follows in the background; a reader who never types has it all
      // once the network is idle.
      await page.waitForFunction(() => document.querySelector('[data-testid="overview"]')?.dataset.path, undefined, {
        timeout: 60_000,
      });
      await page.waitForLoadState('networkidle');
      // The engine worker's wasm memory once the model is in: a wasm heap only grows, so this is
      // the high-water mark of loading and of the first analysis.
      memory = await page.workers()[0].evaluate(() => self.__kernelscopeMemory?.buffer.byteLength);
      const gzipOf = (entries) =>
        entries.map(([url, body]) => ({
          file: new URL(url).pathname.replace(SUB_PATH, '') || 'index.html',
          bytes: body.length,
          gzip: zlib.gzipSync(body, { level: 9 }).length,
        }));
      const files = gzipOf([...bodies]);
      transfer = { files, bytes: files.reduce((a, f) => a + f.bytes, 0), gzip: files.reduce((a, f) => a + f.gzip, 0) };
      const early = gzipOf([...bodies].filter(([url]) => ended.has(url) && ended.get(url) <= drawnAt));
      firstMapFiles = { files: early, gzip: early.reduce((a, f) => a + f.gzip, 0) };
      // A sentence of new words, typed key by key: only its embedding shards come over the wire.
      const before = new Set(bodies.keys());
      const box = page.getByTestId('text');
      await box.fill('');
      await box.pressSequentially(NEW_WORDS, { delay: 60 });
      await page.waitForFunction(() => document.querySelector('[data-testid^="view-"]')?.dataset.state === location.search.slice(1), undefined, {
        timeout: 60_000,
      });
      await page.waitForLoadState('networkidle');
      const added = gzipOf([...bodies].filter(([url]) => !before.has(url)));
      typed = { files: added.length, gzip: added.reduce((a, f) => a + f.gzip, 0), all_shards: added.every((f) => f.file.startsWith('embeddings/')) };
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  }
  const firstMap = [...loads].sort((a, b) => a - b)[1];
  const report = {
    test: 'e2e/tests/hosting.test.mjs',
    // Everything that arrived before the first map of the default text was drawn.
    first_map_gzip_bytes: firstMapFiles.gzip,
    first_map_files: firstMapFiles.files,
    // Everything a reader who opens the page and never types downloads: the background
    // download of the other layers starts once the first map is drawn, without waiting for
    // an interaction.
    never_types_gzip_bytes: transfer.gzip,
    transfer_gzip_bytes: transfer.gzip,
    transfer_bytes: transfer.bytes,
    files: transfer.files,
    first_map_ms: firstMap,
    first_map_ms_runs: loads,
    engine_wasm_memory_bytes: memory,
    typed_sentence: NEW_WORDS,
    typed_sentence_gzip_bytes: typed.gzip,
    typed_sentence_files: typed.files,
    targets: { first_map_gzip_bytes: 2_000_000, first_map_ms: 1000, typed_sentence_gzip_bytes: 100_000 },
  };
  // Every run writes its figures under target/ (a test run leaves the checkout as it was); the
  // committed record is rewritten only when asked, from a run on an idle machine.
  const json = JSON.stringify(report, null, 2) + '\n';
  const outs = [path.join(root, 'target', 'e2e')];
  if (process.env.RECORD_BUDGET === '1') outs.push(path.join(root, 'e2e', 'bench', 'results'));
  for (const out of outs) {
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'budget.json'), json);
  }
  console.log(
    `first load: ${(firstMapFiles.gzip / 1e6).toFixed(2)} MB compressed before the first map (target 2 MB), ` +
      `${(transfer.gzip / 1e6).toFixed(2)} MB with the background download (${(transfer.bytes / 1e6).toFixed(2)} MB raw), ` +
      `first map after ${firstMap.toFixed(0)} ms (median of 3; target 1000 ms); a sentence of new words: ${typed.gzip} B more in ${typed.files} files (target 100 KB); ` +
      `the engine's wasm memory ${(memory / 2 ** 20).toFixed(1)} MiB`,
  );
  const early = firstMapFiles.files.map((f) => f.file);
  assert.ok(early.includes('layers/0.qkv.safetensors'), `the first map needs layer 0's projections: ${early}`);
  assert.ok(!early.some((f) => /^layers\/[12]\./.test(f)), `the first map does not wait for later layers: ${early}`);
  assert.ok(typed.all_shards, 'typing fetches only embedding shards');
  // Before the model's embeddings stayed encoded and came in shards (b4f63c7, measured with
  // e2e/bench/memory.mjs), this was 75.5 MiB; the bar is half of that.
  assert.ok(memory > 0 && memory <= (75.5 * 2 ** 20) / 2, `the engine's wasm memory: ${memory} bytes`);
  assert.ok(typed.gzip <= 100_000, `a sentence of new words costs ${typed.gzip} bytes compressed`);
  assert.ok(firstMap <= 1500, `the first map within 1.5 s: ${firstMap} ms`);
  assert.ok(firstMapFiles.gzip <= 2_000_000, `before the first map ${firstMapFiles.gzip} bytes compressed`);
  // Every layer arrives in the background (README, "Fetched as the text needs it"); this bound
  // catches growth beyond today's size.
  assert.ok(transfer.gzip <= 6_000_000, `the whole first load ${transfer.gzip} bytes compressed`);
});
