// Keystroke to updated maps, in headless Chromium with WebGPU on and off, at N = 32, 128 and 512
// tokens: an input event on the text box, then the app's performance marks
// ("kernelscope:text-committed" when the debounce lets the text through,
// "kernelscope:maps-drawn" when the softmax map has been drawn). Writes
// e2e/bench/results/keystroke.{json,md}.
//
//     node e2e/bench/keystroke.mjs      # after trunk build --release
import fs from 'node:fs';
import path from 'node:path';
import { serve, configurations, launch, openPage, root } from '../lib/harness.mjs';

const SIZES = [32, 128, 512];
const REPS = 12;

// N tokens: [CLS], N − 2 one-token words, [SEP]; the last word alternates so every input changes the text.
const text = (n, k) => `${Array(n - 3).fill('the').join(' ')} ${k % 2 ? 'cat' : 'dog'}`;

async function sample(page, value) {
  return page.evaluate(async (v) => {
    const box = document.querySelector('[data-testid="text"]');
    const t0 = performance.now();
    box.value = v;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    // Each mark after the one before it: late work of an earlier input cannot be mistaken for this one.
    const after = (name, since) => performance.getEntriesByName(name).find((e) => e.startTime > since);
    for (let waited = 0; waited < 60000; waited += 5) {
      const committed = after('kernelscope:text-committed', t0);
      const model = committed && after('kernelscope:model-done', committed.startTime);
      const report = model && after('kernelscope:report-done', model.startTime);
      const drawn = report && after('kernelscope:maps-drawn', report.startTime);
      if (drawn) {
        // Let any late work of this input finish before the next one starts.
        await new Promise((r) => setTimeout(r, 300));
        return {
          total: drawn.startTime - t0,
          compute: drawn.startTime - committed.startTime,
          model: model.startTime - committed.startTime,
          report: report.startTime - model.startTime,
        };
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('the maps were not redrawn');
  }, value);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const server = await serve();
const rows = [];
try {
  for (const configuration of configurations) {
    const browser = await launch(configuration);
    try {
      const { page } = await openPage(browser.context);
      for (const n of SIZES) {
        await page.goto(`${server.url}?text=${encodeURIComponent(text(n, 0))}`);
        await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });
        const count = await page.getByTestId('tokens').locator('.chip').count();
        if (count !== n) throw new Error(`expected ${n} tokens, the page has ${count}`);
        const samples = [];
        for (let k = 1; k <= REPS; k++) samples.push(await sample(page, text(n, k)));
        const row = {
          configuration: configuration.name,
          tokens: n,
          keystroke_to_maps_ms: median(samples.map((s) => s.total)),
          commit_to_maps_ms: median(samples.map((s) => s.compute)),
          model_ms: median(samples.map((s) => s.model)),
          report_ms: median(samples.map((s) => s.report)),
          runs: REPS,
        };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
const out = path.join(root, 'e2e', 'bench', 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'keystroke.json'), JSON.stringify({ benchmark: 'e2e/bench/keystroke.mjs', debounce_ms: 150, rows }, null, 2) + '\n');
const md = [
  'Keystroke to updated maps (median of ' + REPS + '), headless Chromium; the text waits 150 ms for a pause before the model reruns.',
  '',
  '| browser | tokens | keystroke → maps (ms) | after the debounce: all (ms) | of which the model (ms) | the report (ms) |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.configuration} | ${r.tokens} | ${r.keystroke_to_maps_ms.toFixed(1)} | ${r.commit_to_maps_ms.toFixed(1)} | ${r.model_ms.toFixed(1)} | ${r.report_ms.toFixed(1)} |`),
];
fs.writeFileSync(path.join(out, 'keystroke.md'), md.join('\n') + '\n');
