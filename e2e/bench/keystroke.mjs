// Typing against the page, in headless Chromium with WebGPU on and off, at N = 32, 128 and 512
// tokens. The engine runs in a Web Worker; this measures what the page's main thread does.
//
// - keystroke → chips: from an input event to the chips of the new text in the DOM
//   ("kernelscope:tokens-drawn"), and to the first frame that shows them: the first frame whose
//   rendering (its requestAnimationFrame callbacks, then style, layout and paint) runs after the
//   chips were drawn, timed when its callbacks run. The typed character shows in the first
//   frame after the input event; "same frame" counts the keystrokes whose chips show in it too;
// - keystroke → maps: the input event to the softmax map drawn for the new state
//   ("kernelscope:maps-drawn"), against the worker's own compute time for that state (tokens,
//   model and report; the view's data-compute-ms); the overhead is the difference;
// - the longest main-thread task (Long Tasks API) while typing 20 keystrokes at 60 ms each.
//
// Writes e2e/bench/results/keystroke.{json,md}.
//
//     node e2e/bench/keystroke.mjs      # after trunk build --release
import fs from 'node:fs';
import path from 'node:path';
import { serve, configurations, launch, openPage, root } from '../lib/harness.mjs';

const SIZES = [32, 128, 512];
const REPS = 16;
const TYPED = 20;
const GAP_MS = 60;

// N tokens: [CLS], N − 2 one-token words, [SEP]; the last word alternates so every input changes the text.
const text = (n, k) => `${Array(n - 3).fill('the').join(' ')} ${k % 2 ? 'cat' : 'dog'}`;

async function sample(page, value) {
  return page.evaluate(async (v) => {
    const box = document.querySelector('[data-testid="text"]');
    // When each frame's rendering runs, from the keystroke on. (Not the callback's argument:
    // that is the frame's vsync time, which may come before a change the frame still shows.)
    const frames = [];
    let watching = true;
    const watch = () => {
      frames.push(performance.now());
      if (watching) requestAnimationFrame(watch);
    };
    const t0 = performance.now();
    box.value = v;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    requestAnimationFrame(watch);
    const after = (name, since) => performance.getEntriesByName(name).find((e) => e.startTime > since);
    for (let waited = 0; waited < 60000; waited += 2) {
      const view = document.querySelector('[data-testid="view-maps"]');
      const drawn = after('kernelscope:maps-drawn', t0);
      if (drawn && view && view.dataset.state === location.search.replace(/^\?/, '')) {
        const tokens = after('kernelscope:tokens-drawn', t0);
        await new Promise((r) => setTimeout(r, 300));
        watching = false;
        const shown = frames.find((f) => f >= tokens.startTime);
        return {
          chipsInDom: tokens.startTime - t0,
          chips: shown - t0,
          sameFrame: shown === frames[0],
          maps: drawn.startTime - t0,
          compute: Number(view.dataset.computeMs),
        };
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error('the maps were not redrawn');
  }, value);
}

/** Type `TYPED` keystrokes `GAP_MS` apart; the longest main-thread task meanwhile, until settled. */
async function typing(page, n) {
  return page.evaluate(
    async ({ n, typed, gap }) => {
      const tasks = [];
      const observer = new PerformanceObserver((list) => tasks.push(...list.getEntries().map((e) => e.duration)));
      observer.observe({ type: 'longtask' });
      const box = document.querySelector('[data-testid="text"]');
      const base = `${Array(n - 3).fill('the').join(' ')} `;
      let word = '';
      for (let i = 0; i < typed; i++) {
        word = i % 5 === 4 ? '' : word + 'abcde'[i % 5];
        box.value = base + (word || 'x');
        box.dispatchEvent(new Event('input', { bubbles: true }));
        await new Promise((r) => setTimeout(r, gap));
      }
      // Until the last state's maps are drawn, and a little after.
      for (let waited = 0; waited < 60000; waited += 10) {
        const view = document.querySelector('[data-testid="view-maps"]');
        if (view && view.dataset.state === location.search.replace(/^\?/, '')) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 500));
      observer.disconnect();
      return { longest: Math.max(0, ...tasks), count: tasks.length };
    },
    { n, typed: TYPED, gap: GAP_MS },
  );
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
        await page.waitForFunction(
          (want) => document.querySelector('[data-testid="view-maps"]')?.dataset.path === want,
          configuration.backend,
          { timeout: 60_000 },
        );
        const count = await page.getByTestId('tokens').locator('.chip').count();
        if (count !== n) throw new Error(`expected ${n} tokens, the page has ${count}`);
        const samples = [];
        for (let k = 1; k <= REPS; k++) samples.push(await sample(page, text(n, k)));
        const typed = await typing(page, n);
        const row = {
          configuration: configuration.name,
          tokens: n,
          keystroke_to_chips_in_dom_ms: median(samples.map((s) => s.chipsInDom)),
          keystroke_to_chips_shown_ms: median(samples.map((s) => s.chips)),
          chips_in_the_typed_characters_frame: samples.filter((s) => s.sameFrame).length / samples.length,
          keystroke_to_maps_ms: median(samples.map((s) => s.maps)),
          worker_compute_ms: median(samples.map((s) => s.compute)),
          overhead_ms: median(samples.map((s) => s.maps - s.compute)),
          longest_task_while_typing_ms: typed.longest,
          long_tasks_while_typing: typed.count,
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
fs.writeFileSync(
  path.join(out, 'keystroke.json'),
  JSON.stringify({ benchmark: 'e2e/bench/keystroke.mjs', debounce_ms: 0, typed_keystrokes: TYPED, keystroke_gap_ms: GAP_MS, rows }, null, 2) + '\n',
);
const md = [
  `Typing against the page, headless Chromium; the engine runs in a Web Worker and there is no debounce. Medians of ${REPS} single keystrokes; the longest main-thread task (Long Tasks API, which reports tasks over 50 ms; 0: none) while typing ${TYPED} keystrokes ${GAP_MS} ms apart.`,
  '',
  '| browser | tokens | keystroke → chips in the DOM (ms) | → chips on screen (ms) | chips in the typed character’s frame | keystroke → maps (ms) | worker compute (ms) | maps − compute (ms) | longest task while typing (ms) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.configuration} | ${r.tokens} | ${r.keystroke_to_chips_in_dom_ms.toFixed(1)} | ${r.keystroke_to_chips_shown_ms.toFixed(1)} | ${Math.round(100 * r.chips_in_the_typed_characters_frame)}% | ${r.keystroke_to_maps_ms.toFixed(1)} | ${r.worker_compute_ms.toFixed(1)} | ${r.overhead_ms.toFixed(1)} | ${r.longest_task_while_typing_ms.toFixed(0)} |`,
  ),
];
fs.writeFileSync(path.join(out, 'keystroke.md'), md.join('\n') + '\n');
