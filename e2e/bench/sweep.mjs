// Softmax (streaming) against linear attention (recurrent) as N grows, measured in headless
// Chromium by the app's own cost view ("Measure on this device"), with WebGPU on (SwiftShader)
// and off (the CPU engine in wasm). Writes e2e/bench/results/sweep.{json,md}.
//
//     node e2e/bench/sweep.mjs      # after trunk build --release
import fs from 'node:fs';
import path from 'node:path';
import { serve, configurations, launch, openPage, root } from '../lib/harness.mjs';

const server = await serve();
const results = [];
try {
  for (const configuration of configurations) {
    const browser = await launch(configuration);
    try {
      const { page } = await openPage(browser.context);
      await page.goto(`${server.url}?view=cost&maps=elu,performer,trig`);
      await page.getByTestId('measure').click();
      const chart = page.getByTestId('cost-measured');
      await chart.waitFor({ timeout: 600_000 });
      const series = JSON.parse(await chart.getAttribute('data-series'));
      results.push({ configuration: configuration.name, series });
      console.log(configuration.name, JSON.stringify(series));
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
const out = path.join(root, 'e2e', 'bench', 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'sweep.json'), JSON.stringify({ benchmark: 'e2e/bench/sweep.mjs', d: 32, m: 64, results }, null, 2) + '\n');
const lines = ['Median of 3 runs, milliseconds, end to end, d = 32, m = 64, headless Chromium (webgpu: SwiftShader; no-webgpu: the CPU engine in wasm).', ''];
for (const { configuration, series } of results) {
  const lengths = series[0][1].map(([n]) => n);
  lines.push(`**${configuration}**`, '', `| work | ${lengths.map((n) => `N = ${n}`).join(' | ')} |`, `|---|${lengths.map(() => '---:').join('|')}|`);
  for (const [name, points] of series) lines.push(`| ${name} | ${points.map(([, ms]) => ms.toFixed(2)).join(' | ')} |`);
  lines.push('');
}
fs.writeFileSync(path.join(out, 'sweep.md'), lines.join('\n'));
