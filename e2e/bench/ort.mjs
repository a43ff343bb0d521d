// kernelscope's forward pass against ONNX Runtime Web's fp32 wasm backend, both on one thread,
// in one headless Chromium run, on the same 3-layer model and the same token ids at N = 32, 128
// and 512. Not part of the test command. Needs:
//
//     trunk build --release --offline --features bench --dist target/bench-dist
//     target/ort-venv/bin/python tools/ort/export_onnx.py     # target/ort/minilm3.onnx
//     npm ci --prefix e2e/bench/ort                           # onnxruntime-web, pinned
//     node e2e/bench/ort.mjs                                  # writes e2e/bench/results/ort.{json,md}
//
// Both are timed the same way, on a page doing nothing else: WARMUP untimed runs, then REPS timed
// ones, in ROUNDS that alternate between the two (so a slow spell of the machine falls on both);
// medians over every timed run. ONNX Runtime: session.run (numThreads = 1, graph optimisation
// "all"). kernelscope: its forward pass (`time_forward`, src/engine/bench.rs) in a worker of its
// own. Also written, as a second figure: the app's own time to tokenize and run the forward pass
// for a typed text (the view's data-model-ms), which falls between the app's other work.
import fs from 'node:fs';
import path from 'node:path';
import { serve, configurations, launch, openPage, root } from '../lib/harness.mjs';

const SIZES = [32, 128, 512];
const ROUNDS = 3;
const WARMUP = 5;
const REPS = 5;
const IN_APP_REPS = 15;
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

// The site built with the `bench` feature (its `time_forward`); its glue and wasm by their
// hashed names.
const dist = path.join(root, 'target', 'bench-dist');
if (!fs.existsSync(path.join(dist, 'index.html'))) {
  throw new Error(`${dist} is missing: trunk build --release --offline --features bench --dist target/bench-dist`);
}
const built = fs.readdirSync(dist);
const glue = built.find((f) => /^kernelscope-[0-9a-f]+\.js$/.test(f));
const wasm = built.find((f) => /^kernelscope-[0-9a-f]+_bg\.wasm$/.test(f));
if (!glue || !wasm) throw new Error(`${dist} has no kernelscope glue or wasm: build the site first`);

const server = await serve(dist, {
  '/': dist,
  '/kernelscope-worker.js': path.join(root, 'e2e', 'bench', 'ort', 'kernelscope-worker.js'),
  '/ort/': ortDist,
  '/model/': path.dirname(model),
  '/bench/': path.join(root, 'e2e', 'bench', 'ort'),
});
const browser = await launch(configurations.find((c) => c.backend === 'cpu'));
const results = { kernelscope: [], ort: [], in_app: [] };
try {
  const { page } = await openPage(browser.context);
  await page.goto(server.url);
  await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });
  // The first map needs layer 0 only; the overview, every layer: time whole forward passes.
  await page.waitForFunction(() => document.querySelector('[data-testid="overview"]')?.dataset.path, undefined, { timeout: 60_000 });
  for (const n of SIZES) {
    const ms = [];
    for (let k = 0; k < IN_APP_REPS + 1; k++) {
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
    results.in_app.push({ n, median_ms: median(ms), runs: ms });
  }
  await page.close();

  const benchPage = (await openPage(browser.context)).page;
  // A panic in the benchmark's worker is printed there: pass it on.
  benchPage.on('console', (m) => m.type() === 'error' && console.error('bench page:', m.text()));
  await benchPage.goto(server.url + 'bench/index.html');
  await benchPage.waitForFunction(() => window.ortReady === true, undefined, { timeout: 60_000 });
  const cases = SIZES.map((n) => [n, ids(n, 1)]);
  const runs = { kernelscope: SIZES.map(() => []), ort: SIZES.map(() => []) };
  for (let round = 0; round < ROUNDS; round++) {
    const ks = await benchPage.evaluate(
      ([g, w, c, warmup, reps]) => window.runKernelscope(g, w, c, warmup, reps),
      ['/' + glue, '/' + wasm, cases, WARMUP, REPS],
    );
    const ort = await benchPage.evaluate(
      ([url, c, warmup, reps]) => window.runOrt(url, c, warmup, reps),
      ['/model/minilm3.onnx', cases, WARMUP, REPS],
    );
    ks.forEach((r, i) => runs.kernelscope[i].push(...r.runs));
    ort.forEach((r, i) => runs.ort[i].push(...r.runs));
  }
  for (const engine of ['kernelscope', 'ort']) {
    results[engine] = SIZES.map((n, i) => ({ n, median_ms: median(runs[engine][i]), runs: runs[engine][i] }));
  }
} finally {
  await browser.close();
  await server.close();
}

const rows = SIZES.map((n, i) => {
  const ks = results.kernelscope[i].median_ms;
  const ort = results.ort[i].median_ms;
  const app = results.in_app[i].median_ms;
  return { n, kernelscope_ms: ks, ort_ms: ort, kernelscope_over_ort: ks / ort, in_app_ms: app, in_app_over_ort: app / ort };
});
const out = path.join(root, 'e2e', 'bench', 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(
  path.join(out, 'ort.json'),
  JSON.stringify(
    { bench: 'e2e/bench/ort.mjs', chromium: browser.context.browser()?.version() ?? 'headless', rounds: ROUNDS, warmup: WARMUP, reps: REPS, in_app_reps: IN_APP_REPS, rows, results },
    null,
    2,
  ) + '\n',
);
const md = [
  '# kernelscope against ONNX Runtime Web (fp32 wasm, one thread)',
  '',
  'Written by `node e2e/bench/ort.mjs`: the same 3-layer model and token ids, one headless Chromium run. ' +
    `Both timed alike on a page doing nothing else: ${WARMUP} warm-up runs, then ${REPS} timed, in ${ROUNDS} rounds that alternate between them; medians of the ${ROUNDS * REPS} timed runs. ` +
    'kernelscope: its forward pass in a worker of its own (`time_forward`); ONNX Runtime Web 1.30.0: `session.run`. ' +
    `In the app: tokenizing and the forward pass for a typed text, in the app's engine worker between its other work (median of ${IN_APP_REPS} texts).`,
  '',
  '| tokens | kernelscope (ms) | ONNX Runtime Web (ms) | kernelscope ÷ ORT | in the app (ms) | in the app ÷ ORT |',
  '|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.n} | ${r.kernelscope_ms.toFixed(1)} | ${r.ort_ms.toFixed(1)} | ${r.kernelscope_over_ort.toFixed(2)}× | ${r.in_app_ms.toFixed(1)} | ${r.in_app_over_ort.toFixed(2)}× |`,
  ),
  '',
];
fs.writeFileSync(path.join(out, 'ort.md'), md.join('\n'));
console.log(md.join('\n'));
