// The visualizer in headless Chromium, with WebGPU on and off: the maps it draws match the
// independent fp32 reference, every control changes the view and the link, read-outs and PNG
// export work, a shared link reproduces the view, and hostile input breaks nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve, configurations, launch, openPage, saveScreenshot, root } from '../lib/harness.mjs';

let server;
before(async () => {
  server = await serve();
});
after(async () => {
  await server?.close();
});

/** Tensors of a safetensors file (f32 and i32 only), read here, independently of the app. */
function readSafetensors(file) {
  const bytes = fs.readFileSync(file);
  const size = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + size).toString('utf8'));
  const base = 8 + size;
  const get = (name) => {
    const t = header[name];
    if (!t) throw new Error(`${name} missing`);
    const [start, end] = t.data_offsets;
    const data = bytes.subarray(base + start, base + end);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const out = [];
    for (let i = 0; i < data.byteLength; i += 4) {
      out.push(t.dtype === 'I32' ? view.getInt32(i, true) : view.getFloat32(i, true));
    }
    return { shape: t.shape, values: out };
  };
  return { get };
}

// tools/hedgehog/train.py: trained Hedgehog's attention on the default text, from the shipped weights.
const hedgehogGolden = JSON.parse(fs.readFileSync(path.join(root, 'tests', 'golden', 'hedgehog.json'), 'utf8'));

// tools/model/model_golden.py: the fp32 original on the golden sentences; s0 is the default text.
const original = readSafetensors(path.join(root, 'tests', 'golden', 'minilm-original.safetensors'));

/** Head h of a golden attention tensor (heads × n × n) as rows. */
function goldenHead(name, h) {
  const { shape, values } = original.get(name);
  const n = shape[1];
  return Array.from({ length: n }, (_, i) => values.slice(h * n * n + i * n, h * n * n + (i + 1) * n));
}

async function drawn(page, testid) {
  const figure = page.getByTestId(testid);
  await figure.waitFor({ timeout: 60_000 });
  return JSON.parse(await figure.getAttribute('data-values'));
}

function compareToGolden(rows, golden, what) {
  assert.equal(rows.length, golden.length, `${what}: rows`);
  let diff = 0;
  let count = 0;
  let agree = 0;
  rows.forEach((row, i) => {
    row.forEach((v, j) => {
      diff += Math.abs(v - golden[i][j]);
      count += 1;
    });
    const argmax = (r) => r.indexOf(Math.max(...r));
    agree += argmax(row) === argmax(golden[i]) ? 1 : 0;
  });
  const mean = diff / count;
  assert.ok(mean <= 0.02, `${what}: mean |ΔA| ${mean} against the fp32 reference`);
  assert.ok(agree / rows.length >= 0.9, `${what}: top-1 agreement ${agree}/${rows.length}`);
}

async function waitForUrl(page, fragment) {
  // The query is form-encoded: '+' is a space.
  await page.waitForFunction((f) => decodeURIComponent(location.search.replace(/\+/g, ' ')).includes(f), fragment, { timeout: 10_000 });
}

/**
 * Wait until the view shows the report of the state in the address (reports arrive
 * asynchronously; the view names the state it was computed for), then read a figure.
 */
async function settled(page, testid, path) {
  await page.waitForFunction(
    (want) => {
      const view = document.querySelector('[data-testid^="view-"]');
      return view && view.dataset.state === location.search.replace(/^\?/, '') && (!want || view.dataset.path === want);
    },
    path,
    { timeout: 30_000 },
  );
  return drawn(page, testid);
}

function guard(page, errors) {
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
}

for (const configuration of configurations) {
  test(`${configuration.name}: the maps drawn match the independent fp32 reference`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      await page.goto(server.url);
      // Default: the pronoun sentence (golden sentence s0), layer 0, head 2: the previous-token head.
      // The CPU may answer first while WebGPU starts; the report then reruns on the GPU.
      await page.waitForFunction(
        (want) => document.querySelector('[data-testid="view-maps"]')?.dataset.path === want,
        configuration.backend,
        { timeout: 30_000 },
      );
      const softmax = await drawn(page, 'map-softmax');
      compareToGolden(softmax, goldenHead('s0.l0.attention', 2), 'L0.H2 softmax');
      // The previous-token head: each text token looks at the one before it.
      for (let i = 2; i < softmax.length - 1; i++) {
        assert.ok(softmax[i][i - 1] > 0.9, `row ${i} attends to its previous token (${softmax[i][i - 1]})`);
      }
      for (const map of ['elu', 'performer', 'taylor']) {
        const rows = await drawn(page, `map-${map}`);
        rows.forEach((row, i) => {
          const sum = row.reduce((a, b) => a + b, 0);
          assert.ok(Math.abs(sum - 1) < 1e-4, `${map} row ${i} sums to ${sum}`);
        });
      }
      // The all-heads overview: SwiftShader is a software GPU, where it stays on the wasm CPU
      // engine (faster there); the GPU overview itself is checked in tests/web.rs.
      await page.waitForFunction(
        () => document.querySelector('[data-testid="overview"]')?.dataset.path === 'cpu',
        null,
        { timeout: 60_000 },
      );
      assert.equal(await page.locator('[data-testid^="thumb-"]').count(), 36);
      // Trained Hedgehog is a default map: what is drawn is the attention of the numpy reference
      // (tools/hedgehog/train.py) with the shipped weights, up to the f32 forward pass.
      const hedgehog = await drawn(page, 'map-hedgehog');
      const reference = hedgehogGolden.heads.find((h) => h.layer === 0 && h.head === 2);
      const want = reference.maps['hedgehog.bidirectional'].weights;
      let worst = 0;
      hedgehog.flat().forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]))));
      assert.equal(hedgehog.flat().length, want.length, 'Hedgehog map size');
      assert.ok(worst < 2e-3, `trained Hedgehog against the reference: worst ${worst}`);
      // What training wins back, per head, with the measured roles named.
      await page.getByTestId('won-back').waitFor({ timeout: 60_000 });
      assert.match(await page.getByTestId('won-back-0-2').innerText(), /previous token/);
      assert.match(await page.getByTestId('won-back-1-8').innerText(), /next token/);
      assert.equal(await page.locator('[data-testid^="won-back-"][data-testid$="-11"]').count(), 3);
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await browser.close();
    }
  });

  test(`${configuration.name}: without the Hedgehog weights, the trained maps are refused with a notice and the rest works`, async () => {
    const browser = await launch(configuration);
    try {
      const { page } = await openPage(browser.context);
      await page.route('**/hedgehog.safetensors', (route) => route.fulfill({ status: 200, body: 'not a weights file' }));
      await page.goto(server.url + '?maps=elu,hedgehog,hedgehog-untrained');
      await page.getByTestId('hedgehog-refused').waitFor({ timeout: 60_000 });
      assert.match(await page.getByTestId('hedgehog-refused').innerText(), /Hedgehog \(trained\) cannot be drawn: hedgehog\.safetensors was refused/);
      await drawn(page, 'map-elu');
      await drawn(page, 'map-hedgehog-untrained');
      assert.equal(await page.locator('[data-testid="map-hedgehog"]').count(), 0);
      const link = decodeURIComponent(page.url());
      assert.ok(link.includes('maps=elu,hedgehog,hedgehog-untrained'), `the choice stays in the link: ${link}`);
    } finally {
      await browser.close();
    }
  });

  test(`${configuration.name}: every control changes the view and the link, and the link reproduces it`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      guard(page, errors);
      await page.goto(server.url);
      let softmax = await drawn(page, 'map-softmax');

      await page.getByTestId('layer').selectOption('1');
      await page.getByTestId('head').selectOption('8');
      await waitForUrl(page, 'layer=1');
      await waitForUrl(page, 'head=8');
      softmax = await settled(page, 'map-softmax');
      assert.equal(await page.getByTestId('view-maps').getAttribute('data-head'), '1.8');
      compareToGolden(softmax, goldenHead('s0.l1.attention', 8), 'L1.H8 softmax');

      await page.getByTestId('causal').check();
      await waitForUrl(page, 'causal=1');
      softmax = await settled(page, 'map-softmax');
      softmax.forEach((row, i) => row.forEach((v, j) => j > i && assert.equal(v, 0, `causal: A[${i},${j}]`)));

      await page.getByTestId('use-trig').check();
      await page.getByTestId('use-taylor').uncheck();
      await waitForUrl(page, 'maps=elu,performer,trig,hedgehog');
      await settled(page, 'map-trig');
      assert.equal(await page.locator('[data-testid="map-taylor"]').count(), 0);

      const performer = await settled(page, 'map-performer');
      await page.getByTestId('m').fill('16');
      await page.getByTestId('m').dispatchEvent('change');
      await waitForUrl(page, 'm=16');
      const performer16 = await settled(page, 'map-performer');
      assert.notDeepEqual(performer16, performer, 'm changes the random features');
      await page.getByTestId('seed').fill('7');
      await page.getByTestId('seed').dispatchEvent('change');
      await waitForUrl(page, 'seed=7');
      assert.notDeepEqual(await settled(page, 'map-performer'), performer16, 'the seed changes them');
      await page.getByTestId('orthogonal').uncheck();
      await waitForUrl(page, 'ortho=0');

      await page.getByTestId('temperature').fill('0.3');
      await waitForUrl(page, 'temp=2');

      await page.getByTestId('specials').uncheck();
      await waitForUrl(page, 'specials=0');
      const n = (await page.getByTestId('tokens').locator('.chip').count());
      await page.waitForFunction((rows) => document.querySelector('[data-testid="map-softmax"]')?.dataset.rows === String(rows), n - 2);

      await page.getByTestId('text').fill('the dog saw the cat');
      await waitForUrl(page, 'text=the dog saw the cat');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="tokens"] .chip').length === 7);

      for (const view of ['kernel', 'errors', 'spread', 'cost', 'maps']) {
        await page.getByTestId(`tab-${view}`).click();
        await page.getByTestId(`view-${view}`).waitFor();
        if (view !== 'maps') await waitForUrl(page, `view=${view}`);
      }
      // Compare what the same engine drew: the CPU may answer first while WebGPU starts.
      await settled(page, 'map-softmax', configuration.backend);
      const shared = page.url();
      const before = await page.getByTestId('map-softmax').getAttribute('data-values');
      const performerBefore = await page.getByTestId('map-performer').getAttribute('data-values');

      const second = await openPage(browser.context);
      guard(second.page, second.errors);
      await second.page.goto(shared);
      await settled(second.page, 'map-softmax', configuration.backend);
      assert.equal(await second.page.getByTestId('map-softmax').getAttribute('data-values'), before, 'same softmax map');
      assert.equal(await second.page.getByTestId('map-performer').getAttribute('data-values'), performerBefore, 'same random features');
      assert.equal(await second.page.getByTestId('text').inputValue(), 'the dog saw the cat');
      assert.equal(await second.page.getByTestId('layer').inputValue(), '1');
      assert.ok(await second.page.getByTestId('causal').isChecked());
      assert.deepEqual([...errors, ...second.errors], [], 'no console errors');
    } finally {
      await browser.close();
    }
  });

  test(`${configuration.name}: hover and keyboard read-outs show the drawn values; a map exports as PNG`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      await page.goto(server.url);
      const values = await drawn(page, 'map-softmax');
      const figure = page.getByTestId('map-softmax');
      const canvas = figure.locator('canvas');
      const n = values.length;
      const cell = Math.max(1, Math.min(22, Math.floor(240 / n)));
      // Margins of src/ui/plot.rs: 84 px left, 28 px top.
      const [i, j] = [5, 4];
      const readout = figure.getByTestId('readout');
      // The page may still be laying out what arrived after the maps (the overview): point
      // again until the read-out answers.
      let text = '';
      for (let attempt = 0; attempt < 10 && !text.startsWith('row'); attempt++) {
        await canvas.hover({ position: { x: 84 + (j + 0.5) * cell, y: 28 + (i + 0.5) * cell } });
        await page.waitForTimeout(50);
        text = await readout.textContent();
      }
      assert.match(text, new RegExp(`^row ${i} .*column ${j} `), text);
      assert.ok(text.includes(values[i][j].toFixed(4)), `${text} shows ${values[i][j]}`);

      await canvas.focus();
      await page.keyboard.press('Home');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowRight');
      assert.match(await readout.textContent(), /^row 1 .*column 2 /);

      // A token chip highlights its row and column; the chip itself is marked.
      const chip = page.getByTestId('tokens').locator('.chip').nth(3);
      await chip.hover();
      assert.match(await chip.getAttribute('class'), /hovered/);

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        figure.getByRole('button', { name: 'Export PNG' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), 'map-softmax.png');
      const file = await download.path();
      const signature = fs.readFileSync(file).subarray(0, 8);
      assert.deepEqual([...signature], [137, 80, 78, 71, 13, 10, 26, 10], 'a PNG file');
      assert.ok(fs.statSync(file).size > 2000, 'with a picture in it');

      await page.getByTestId('tab-errors').click();
      const chart = page.getByTestId('rows-elu');
      await chart.waitFor();
      await chart.locator('canvas').focus();
      await page.keyboard.press('ArrowRight');
      const series = JSON.parse(await chart.getAttribute('data-series'));
      const [name, points] = series[0];
      const chartText = await chart.getByTestId('readout').textContent();
      assert.ok(chartText.startsWith(name), chartText);
      assert.ok(chartText.includes(points[1][1].toFixed(4)) || chartText.includes(points[1][1].toExponential(3)), `${chartText} shows ${points[1][1]}`);

      // On a phone the page shrinks the map to its column: pointing still reads the cell under
      // the pointer, not the one at the same distance on the unshrunk drawing.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByTestId('tab-maps').click();
      const small = page.getByTestId('map-softmax');
      await small.waitFor();
      const [shown, full] = await small.locator('canvas').evaluate((c) => [c.getBoundingClientRect().width, c.width]);
      const scale = shown / full;
      assert.ok(scale < 0.95, `the map is shrunk at 390 px (${shown} of ${full} px)`);
      const [si, sj] = [6, 3];
      let smallText = '';
      for (let attempt = 0; attempt < 10 && !smallText.startsWith(`row ${si} `); attempt++) {
        await small.locator('canvas').hover({ position: { x: (84 + (sj + 0.5) * cell) * scale, y: (28 + (si + 0.5) * cell) * scale } });
        await page.waitForTimeout(50);
        smallText = await small.getByTestId('readout').textContent();
      }
      assert.match(smallText, new RegExp(`^row ${si} .*column ${sj} `), smallText);
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await browser.close();
    }
  });

  test(`${configuration.name}: hostile text and links get plain text and notices, never a broken page`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      guard(page, errors);
      await page.goto(server.url + '?layer=99&head=x&maps=elu,%3Cscript%3E&m=-5&temp=NaN&view=nope&text=%E0%A4%A&%%%=&seed=1e99');
      const notices = await page.getByTestId('notices').textContent();
      for (const key of ['layer', 'head', 'maps', 'm', 'temp', 'view', 'seed']) {
        assert.ok(notices.includes(key), `a notice about ${key}: ${notices}`);
      }
      await drawn(page, 'map-softmax');

      const markup = '<img src=x onerror=alert(1)><script>alert(2)</script>';
      await page.getByTestId('text').fill(markup);
      await page.waitForFunction(() => decodeURIComponent(location.search.replace(/\+/g, ' ')).includes('<img src=x'));
      await drawn(page, 'map-softmax');
      assert.equal(await page.locator('img').count(), 0, 'markup is shown as text, never parsed');
      assert.equal(await page.locator('body script').count(), 0);

      const world = 'Hello 😀👩‍👩‍👧 world — שלום עולם, مرحبا بالعالم. 中文字符 ÅÉÎ e\u0301';
      await page.getByTestId('text').fill(world);
      await page.waitForFunction(() => document.querySelector('[data-testid="token-summary"]')?.textContent.includes('tokens'));
      await drawn(page, 'map-softmax');

      const long = 'The quick brown fox jumps over the lazy dog. '.repeat(223).slice(0, 10_000);
      await page.getByTestId('text').fill(long);
      await page.waitForFunction(() => /did not fit/.test(document.querySelector('[data-testid="token-summary"]')?.textContent ?? ''), null, { timeout: 60_000 });
      assert.equal((await page.getByTestId('text').inputValue()).length, 10_000, 'the text is kept whole');
      await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });

      await page.getByTestId('text').fill('');
      await page.waitForFunction(() => /^2 tokens/.test(document.querySelector('[data-testid="token-summary"]')?.textContent ?? ''));
      await drawn(page, 'map-softmax');
      assert.deepEqual(errors, [], 'no console errors, no dialogs');
      assert.equal(await page.locator('.fatal').count(), 0, 'no panic');
    } finally {
      await browser.close();
    }
  });

  test(`${configuration.name}: screenshots of every view at desktop and phone widths; no chart label overlaps another or leaves its chart`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      // Every colour each series name gets, over every chart of every view.
      const colours = new Map();
      for (const [width, height, label] of [[1440, 900, 'desktop'], [390, 844, 'phone']]) {
        await page.setViewportSize({ width, height });
        for (const view of ['maps', 'kernel', 'errors', 'spread', 'cost']) {
          await page.goto(`${server.url}?view=${view}&maps=elu,performer,trig,taylor,hedgehog`);
          await page.getByTestId(`view-${view}`).waitFor({ timeout: 60_000 });
          // The views whose charts come with the long work: wait for them.
          const waitFor = { spread: 'spread-chart', kernel: 'error-m-performer', cost: 'cost-tradeoff' }[view];
          if (waitFor) await page.getByTestId(waitFor).waitFor({ timeout: 120_000 });
          if (view === 'spread') {
            // Once every map's row is in, the page stops saying the work is under way.
            await page.waitForFunction(() => document.querySelectorAll('[data-testid="spread-table"] tbody tr').length === 5, undefined, {
              timeout: 120_000,
            });
            await page.getByTestId('progress-spread').waitFor({ state: 'detached', timeout: 10_000 });
          }
          await page.waitForTimeout(200);
          await saveScreenshot(page, `view-${view}-${label}-${configuration.name}`);
          await assertChartLabelsClear(page, view);
          const charts = await page.evaluate(() =>
            [...document.querySelectorAll('figure.chart')].map((f) => [JSON.parse(f.dataset.series).map(([name]) => name), JSON.parse(f.dataset.colours)]),
          );
          for (const [names, drawn] of charts) {
            assert.equal(names.length, drawn.length, `${view}: one colour per series`);
            names.forEach((name, i) => colours.set(name, new Set([...(colours.get(name) ?? []), drawn[i]])));
          }
          // The page never scrolls sideways; a wide map or table scrolls inside its own box.
          const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
          assert.ok(sideways <= 1, `${view} at ${width} px scrolls sideways by ${sideways} px`);
          if (view === 'kernel') {
            // Taylor's φ(q) (1,057 features) is too wide to shrink legibly: it keeps its drawing's
            // size and scrolls in its own frame, and the keyboard's End brings the last column into view.
            const wide = page.getByTestId('features-taylor');
            const [shown, drawn, hidden] = await wide
              .locator('canvas')
              .evaluate((c) => [c.getBoundingClientRect().width, c.width / devicePixelRatio, c.parentElement.scrollWidth - c.parentElement.clientWidth]);
            assert.ok(Math.abs(shown - drawn) <= 1 && hidden > 100, `Taylor's φ(q) is shown at ${shown} of ${drawn} px, ${hidden} px of it scrolled`);
            await wide.locator('canvas').focus();
            await page.keyboard.press('End');
            assert.match(await wide.getByTestId('readout').textContent(), /column 1056 /);
            const scrolled = await wide.locator('canvas').evaluate((c) => c.parentElement.scrollLeft);
            assert.ok(scrolled > 100, `End scrolls the frame to the last column (${scrolled} px)`);
            // No other map on this view is wide enough to need the frame's scrolling.
            assert.equal(await page.locator('figure.heatmap.wide').count(), 1, 'only Taylor’s φ(q) scrolls');
          }
          if (view === 'maps' && label === 'desktop') {
            // Trig RFF's weights go to zero or below where softmax's do not, so its KL is ∞ on every
            // row of this head: the table says so, and a map infinite on any row is never the best KL.
            const kl = await page
              .locator('[data-testid="compare-maps"] td[data-column="kl"]')
              .evaluateAll((cells) => cells.map((td) => [td.textContent, td.classList.contains('best')]));
            assert.ok(kl.some(([text]) => /^∞ \(all \d+ rows\)$/.test(text)), `a map infinite on every row: ${kl}`);
            for (const [text, best] of kl) {
              assert.ok(!(best && text.includes('∞')), `${text} is not the best KL`);
              assert.ok(!text.startsWith('-0.0000'), `no negative zero: ${text}`);
            }
            // At desktop width the comparison of five maps fits its column without scrolling.
            const hidden = await page.getByTestId('compare-maps').evaluate((t) => t.scrollWidth - t.clientWidth);
            assert.ok(hidden <= 1, `the maps' comparison hides ${hidden} px at ${width} px`);
          }
        }
      }
      // The error-against-cost chart names every map beside its point.
      await page.goto(`${server.url}?view=cost&maps=elu,performer,trig,taylor,hedgehog`);
      const tradeoff = page.getByTestId('cost-tradeoff');
      await tradeoff.waitFor({ timeout: 60_000 });
      const names = JSON.parse(await tradeoff.getAttribute('data-series')).map(([name]) => name);
      // Softmax and each map keep one colour in every chart of every view, and no two share one.
      assert.equal(names.length, 6, `softmax and five maps: ${names}`);
      for (const name of names) assert.equal(colours.get(name)?.size, 1, `${name} is drawn in ${[...(colours.get(name) ?? [])]}`);
      assert.equal(new Set(names.map((name) => [...colours.get(name)][0])).size, names.length, 'each its own colour');
      const written = JSON.parse(await tradeoff.getAttribute('data-labels')).map((b) => b.text);
      for (const name of names) assert.ok(written.filter((t) => t === name).length >= 2, `${name}: in the legend and beside its point`);
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await browser.close();
    }
  });
}

/** Every chart's text boxes (its data-labels) stay inside the chart and never overlap. */
async function assertChartLabelsClear(page, view) {
  const charts = await page.locator('figure.chart').all();
  for (const chart of charts) {
    const id = await chart.getAttribute('data-testid');
    const boxes = JSON.parse(await chart.getAttribute('data-labels'));
    assert.ok(boxes.length > 0, `${view}/${id}: labels`);
    for (const [i, a] of boxes.entries()) {
      assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.w <= 460 && a.y + a.h <= 280, `${view}/${id}: “${a.text}” leaves the chart`);
      for (const b of boxes.slice(i + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        assert.ok(!overlap, `${view}/${id}: “${a.text}” overlaps “${b.text}”`);
      }
    }
  }
}

for (const configuration of configurations) {
  test(`${configuration.name}: the cost view measures softmax against each map on this device`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      await page.goto(`${server.url}?view=cost&maps=elu,performer`);
      await page.getByTestId('measure').click();
      const chart = page.getByTestId('cost-measured');
      await chart.waitFor({ timeout: 120_000 });
      const series = JSON.parse(await chart.getAttribute('data-series'));
      const names = series.map(([name]) => name);
      assert.deepEqual(names, ['softmax (streaming)', 'elu+1', 'Performer FAVOR+ (m=64, orthogonal)']);
      for (const [name, points] of series) {
        assert.deepEqual(points.map(([n]) => n), [128, 256, 512, 1024, 2048], name);
        assert.ok(points.every(([, ms]) => ms > 0 && Number.isFinite(ms)), `${name}: positive times`);
      }
      assert.match(await page.getByTestId('view-cost').getAttribute('data-path'), new RegExp(configuration.backend));
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await browser.close();
    }
  });
}

test('the all-heads overview opens the head it names, and is offered on request for longer texts', async () => {
  const browser = await launch(configurations[1]);
  try {
    const { page, errors } = await openPage(browser.context);
    await page.goto(server.url);
    const thumb = page.getByTestId('thumb-1-8');
    await thumb.waitFor({ timeout: 60_000 });
    const worst = Number(await thumb.getAttribute('data-worst-tv'));
    assert.ok(worst >= 0 && Number.isFinite(worst), `worst TV ${worst}`);
    await thumb.click();
    await waitForUrl(page, 'layer=1');
    await waitForUrl(page, 'head=8');
    await page.locator('[data-testid="view-maps"][data-head="1.8"]').waitFor({ timeout: 30_000 });
    compareToGolden(await settled(page, 'map-softmax'), goldenHead('s0.l1.attention', 8), 'L1.H8 from the overview');

    // 60 tokens: above the automatic limit (48), so the overview waits for a click.
    await page.getByTestId('text').fill(Array(58).fill('the').join(' '));
    const button = page.getByTestId('compute-overview');
    await button.waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[data-testid^="thumb-"]').count(), 0);
    await button.click();
    await page.getByTestId('thumb-2-11').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('[data-testid^="thumb-"]').count(), 36);
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await browser.close();
  }
});

test('webgpu: a device lost while the page is open falls back to the CPU, says why, and keeps the text and state', async () => {
  const browser = await launch(configurations[0]);
  try {
    const { page, errors } = await openPage(browser.context);
    guard(page, errors);
    await page.goto(`${server.url}?layer=1&head=8&view=errors&temp=1.5`);
    await page.waitForFunction(() => document.querySelector('[data-testid="view-errors"]')?.dataset.path === 'webgpu', null, { timeout: 60_000 });
    const typed = 'A lost GPU must not lose this sentence.';
    await page.getByTestId('text').fill(typed);
    await waitForUrl(page, typed);
    const before = await page.evaluate(() => location.search);
    // The engine's worker destroys its device, as a driver reset would.
    await page.evaluate(() => window.__kernelscope.loseDevice());
    await page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.dataset.backend === 'cpu', null, { timeout: 30_000 });
    assert.match(await page.getByTestId('backend').textContent(), /CPU \(fallback\)/);
    assert.match(await page.getByTestId('backend-detail').textContent(), /device was lost/i);

    // The text, the link and the view are as they were, and the CPU now draws the same head.
    assert.equal(await page.getByTestId('text').inputValue(), typed);
    assert.equal(await page.evaluate(() => location.search), before);
    await page.waitForFunction(() => {
      const view = document.querySelector('[data-testid="view-errors"]');
      return view?.dataset.path === 'cpu' && view.dataset.head === '1.8' && view.dataset.state === location.search.replace(/^\?/, '');
    }, null, { timeout: 30_000 });
    // And it keeps answering: the next edit is drawn on the CPU.
    await page.getByTestId('text').fill(`${typed} Still here.`);
    await waitForUrl(page, 'Still here.');
    await page.waitForFunction(() => {
      const view = document.querySelector('[data-testid="view-errors"]');
      return view?.dataset.path === 'cpu' && view.dataset.state === location.search.replace(/^\?/, '');
    }, null, { timeout: 30_000 });
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await browser.close();
  }
});

test('five quick edits: only the last state’s maps are drawn', async () => {
  const browser = await launch(configurations[1]);
  try {
    const { page, errors } = await openPage(browser.context);
    guard(page, errors);
    await page.goto(`${server.url}?text=${encodeURIComponent('a first text to settle on')}`);
    await settled(page, 'map-softmax');
    const edits = ['one quick edit', 'two quick edits', 'three quick edits', 'four quick edits', 'five quick edits, the last'];
    // Record the state of every view drawn from now on.
    await page.evaluate(() => {
      window.__drawn = [document.querySelector('[data-testid^="view-"]').dataset.state];
      const record = () => {
        const view = document.querySelector('[data-testid^="view-"]');
        if (view && window.__drawn[window.__drawn.length - 1] !== view.dataset.state) window.__drawn.push(view.dataset.state);
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });
    await page.evaluate(async (texts) => {
      const box = document.querySelector('[data-testid="text"]');
      for (const text of texts) {
        box.value = text;
        box.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => setTimeout(r, 10));
      }
    }, edits);
    await waitForUrl(page, edits[4]);
    await settled(page, 'map-softmax');
    const drawnStates = await page.evaluate(() => window.__drawn.slice(1).map((q) => new URLSearchParams(q).get('text')));
    assert.deepEqual(drawnStates, [edits[4]], `drawn after the edits: ${JSON.stringify(drawnStates)}`);
    // The chips are the last text's too: one per row of its map.
    assert.equal(String(await page.getByTestId('tokens').locator('.chip').count()), await page.getByTestId('map-softmax').getAttribute('data-rows'));
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await browser.close();
  }
});

test('the page reads and tabs in one order: the text, the views, then the controls; side by side when wide', async () => {
  const browser = await launch(configurations[1]);
  try {
    const { page, errors } = await openPage(browser.context);
    await page.goto(server.url);
    await settled(page, 'map-softmax');
    const box = async (selector) => page.locator(selector).first().boundingBox();
    for (const [width, height, label] of [[390, 844, 'phone'], [1440, 900, 'desktop']]) {
      await page.setViewportSize({ width, height });
      const [text, views, controls] = [await box('.workspace > .text'), await box('.workspace > .views'), await box('.controls')];
      if (label === 'phone') {
        assert.ok(text.y + text.height <= views.y + 1, `${label}: the views follow the text (${text.y + text.height}, ${views.y})`);
        assert.ok(views.y + views.height <= controls.y + 1, `${label}: the controls follow the views (${views.y + views.height}, ${controls.y})`);
      } else {
        assert.ok(text.x + text.width <= views.x, `${label}: the views sit beside the text`);
        assert.ok(Math.abs(text.y - views.y) <= 1, `${label}: the text and the views start level (${text.y}, ${views.y})`);
        assert.ok(controls.x < views.x && controls.y >= text.y + text.height, `${label}: the controls sit under the text`);
        // The text's row is only as tall as the text: the controls follow it closely.
        assert.ok(controls.y - (text.y + text.height) <= 40, `${label}: gap above the controls ${controls.y - (text.y + text.height)} px`);
      }
      // The keyboard takes the same order: from the text box, Tab reaches a view's tab before any control.
      await page.getByTestId('text').focus();
      let reached = null;
      for (let i = 0; i < 300 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() => {
          const el = document.activeElement;
          if (el?.closest('.workspace > .views')) return 'views';
          if (el?.closest('.workspace > .sidebar')) return 'controls';
          return null;
        });
      }
      assert.equal(reached, 'views', `${label}: Tab from the text reaches the views first`);
      // Past the token chips, one stop lets the keyboard jump over the views to the controls.
      const skip = page.getByTestId('skip-to-controls');
      await skip.focus();
      assert.ok((await skip.boundingBox()).width > 20, `${label}: the skip button shows while focused`);
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      const inControls = await page.evaluate(() => Boolean(document.activeElement?.closest('.controls')));
      assert.ok(inControls, `${label}: after the skip, Tab is in the controls`);
    }
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await browser.close();
  }
});
