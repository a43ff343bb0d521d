// The engine worker's wasm memory once the first map is drawn, for any built site:
//
//     node e2e/bench/memory.mjs [DIST]      # default: dist/
//
// A wasm heap only grows, so this is the high-water mark of loading the model and of the first
// analysis. The site's engine_loader.js exposes the memory as `self.__kernelscopeMemory`; to
// measure an older build, add that line to its loader first (README, "Memory").
import path from 'node:path';
import { serve, configurations, launch, openPage, dist } from '../lib/harness.mjs';

const dir = path.resolve(process.argv[2] ?? dist);
const server = await serve(dir, { '/': dir });
const runs = [];
try {
  for (let run = 0; run < 3; run++) {
    const browser = await launch(configurations.find((c) => c.backend === 'cpu'));
    try {
      const { page } = await openPage(browser.context);
      await page.goto(server.url);
      await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });
      runs.push(await page.workers()[0].evaluate(() => self.__kernelscopeMemory?.buffer.byteLength));
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
console.log(`${dir}: the engine's wasm memory after the first map: ${runs.map((b) => (b / 2 ** 20).toFixed(1)).join(', ')} MiB`);
