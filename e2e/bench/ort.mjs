// kernelscope's forward pass against ONNX Runtime Web's fp32 wasm backend, both on one thread,
// in one headless Chromium run, on the same 3-layer model and the same token ids at N = 32, 128
// and 512. Not part of the test command. Needs:
//
//     trunk build --release --offline
//     target/ort-venv/bin/python tools/ort/export_onnx.py     # target/ort/minilm3.onnx
//     npm ci --prefix e2e/bench/ort                           # onnxruntime-web, pinned
//     node e2e/bench/ort.mjs                                  # writes e2e/bench/results/ort.{json,md}
//
// kernelscope: the engine worker's own time to tokenize the text and run the forward pass (the
// view's data-model-ms; the worker is a single thread). ONNX Runtime: session.run alone, after
// five warm-up runs (numThreads = 1, graph optimisation "all"). Medians over REPS.
import fs from 'node:fs';
import path from 'node:path';
import { serve, configurations, launch, openPage, root, dist } from '../lib/harness.mjs';

const SIZES = [32, 128, 512];
const REPS = 15;
const model = path.join(root, 'target', 'ort', 'minilm3.onnx');
const ortDist = path.join(root, 'e2e', 'bench', 'ort', 'node_modules', 'onnxruntime-web', 'dist');
for (const [file, how] of [
  [model, 'target/ort-venv/bin/python tools/ort/export_onnx.py'],
  [ortDist, 'npm ci --prefix e2e/bench/ort'],
]) {
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: ${how}`);
}

// N tokens: [CLS], N − 2 one-token words, [SEP]; the last word alternates so each run is a new text.
const text = (n, k) => `${Array(n - 3).fill('the').join(' ')} ${k % 2 ? 'cat' : 'dog'}`;
const vocab = fs.readFileSync(path.join(root, 'assets', 'vocab.txt'), 'utf8').split('\n');
const id = (piece) => vocab.indexOf(piece);
const ids = (n, k) => [id('[CLS]'), ...Array(n - 3).fill(id('the')), id(k % 2 ? 'cat' : 'dog'), id('[SEP]')];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await serve(dist, {
  '/': dist,
  '/ort/': ortDist,
  '/model/': path.dirname(model),
  '/bench/': path.join(root, 'e2e', 'bench', 'ort'),
});
const browser = await launch(configurations.find((c) => c.backend === 'cpu'));
const results = { kernelscope: [], ort: null };
try {
  const { page } = await openPage(browser.context);
  await page.goto(server.url);
  await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });
  // The first map needs layer 0 only; the overview, every layer: time whole forward passes.
  await page.waitForFunction(() => document.querySelector('[data-testid="overview"]')?.dataset.path, undefined, { timeout: 60_000 });
  for (const n of SIZES) {
    const ms = [];
    for (let k = 0; k < REPS + 1; k++) {
      await page.getByTestId('text').fill(text(n, k));
      await page.waitForFunction(
        () => document.querySelector('[data-testid^="view-"]')?.dataset.state === location.search.slice(1),
        undefined,
        { timeout: 120_000 },
      );
      const tokens = await page.getByTestId('tokens').locator('.chip').count();
      const modelMs = Number(await page.locator('[data-testid^="view-"]').getAttribute('data-model-ms'));
      if (k > 0) ms.push(modelMs); // the first text of each size warms the page up
      if (tokens !== n) throw new Error(`N = ${n}: the text has ${tokens} tokens`);
    }
    results.kernelscope.push({ n, median_ms: median(ms), runs: ms });
  }
  await page.close();

  const ortPage = (await openPage(browser.context)).page;
  await ortPage.goto(server.url + 'bench/index.html');
  await ortPage.waitForFunction(() => window.ortReady === true, undefined, { timeout: 60_000 });
  results.ort = await ortPage.evaluate(
    ([url, cases, reps]) => window.runOrt(url, cases, reps),
    ['/model/minilm3.onnx', SIZES.map((n) => [n, ids(n, 1)]), REPS],
  );
} finally {
  await browser.close();
  await server.close();
}

const rows = SIZES.map((n, i) => {
  const ks = results.kernelscope[i].median_ms;
  const ort = results.ort.out[i].median_ms;
  return { n, kernelscope_ms: ks, ort_ms: ort, kernelscope_over_ort: ks / ort };
});
const out = path.join(root, 'e2e', 'bench', 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(
  path.join(out, 'ort.json'),
  JSON.stringify({ bench: 'e2e/bench/ort.mjs', chromium: browser.context.browser()?.version() ?? 'headless', reps: REPS, rows, results }, null, 2) + '\n',
);
const md = [
  '# kernelscope against ONNX Runtime Web (fp32 wasm, one thread)',
  '',
  'Written by `node e2e/bench/ort.mjs`: the same 3-layer model and token ids, one headless Chromium run; kernelscope: tokenizing and the forward pass in its engine worker; ONNX Runtime Web 1.30.0: `session.run`. Medians of ' +
    REPS +
    ' runs.',
  '',
  '| tokens | kernelscope (ms) | ONNX Runtime Web (ms) | kernelscope ÷ ORT |',
  '|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.n} | ${r.kernelscope_ms.toFixed(1)} | ${r.ort_ms.toFixed(1)} | ${r.kernelscope_over_ort.toFixed(2)}× |`),
  '',
];
fs.writeFileSync(path.join(out, 'ort.md'), md.join('\n'));
console.log(md.join('\n'));
