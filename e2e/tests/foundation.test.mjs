// The built site in headless Chromium, with WebGPU on and off: it loads cleanly, names its
// backend and shows the scores that the independent numpy reference expects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, configurations, launch, openPage, golden, saveScreenshot } from '../lib/harness.mjs';

let server;
before(async () => {
  server = await serve();
});
after(async () => {
  await server?.close();
});

const demo = golden('demo');
const largestExpected = Math.max(1, ...demo.scores.map(Math.abs));

async function readScores(page) {
  const result = page.getByTestId('scores');
  await result.waitFor({ timeout: 30_000 });
  return {
    path: await result.getAttribute('data-path'),
    checksum: Number(await result.getAttribute('data-checksum')),
    values: JSON.parse(await result.getAttribute('data-values')).flat(),
    gpuCpuDifference: await result.getAttribute('data-gpu-cpu-difference'),
  };
}

async function waitForBackend(page, expected) {
  const backend = page.getByTestId('backend');
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="backend"]')?.dataset.backend === want,
    expected,
    { timeout: 30_000 },
  );
  return backend;
}

for (const configuration of configurations) {
  test(`${configuration.name}: loads, names the backend and shows the reference scores`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      await page.goto(server.url);
      const backend = await waitForBackend(page, configuration.backend);
      const detail = await page.getByTestId('backend-detail').textContent();
      if (configuration.backend === 'webgpu') {
        const summary = await backend.textContent();
        assert.match(summary, /WebGPU on \S+ · \S+/, 'names vendor and architecture');
        assert.match(summary, /swiftshader/i, 'headless Chromium runs WebGPU on SwiftShader');
      } else {
        assert.match(await backend.textContent(), /CPU \(fallback\)/);
        assert.match(detail, /no GPU adapter|no WebGPU/i, `says why it fell back: ${detail}`);
      }

      const scores = await readScores(page);
      assert.equal(scores.path, configuration.backend, 'the scores came from the named backend');
      assert.equal(scores.values.length, demo.scores.length);
      scores.values.forEach((v, i) => {
        const err = Math.abs(v - demo.scores[i]) / largestExpected;
        assert.ok(err <= 1e-5, `S[${i}] = ${v}, reference ${demo.scores[i]}`);
      });
      assert.ok(
        Math.abs(scores.checksum - demo.checksum) <= 1e-4 * largestExpected,
        `checksum ${scores.checksum}, reference ${demo.checksum}`,
      );
      if (configuration.backend === 'webgpu') {
        assert.ok(Number(scores.gpuCpuDifference) <= 1e-4 * largestExpected, `GPU−CPU ${scores.gpuCpuDifference}`);
      }
      await saveScreenshot(page, `foundation-${configuration.name}`);
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await browser.close();
    }
  });

  test(`${configuration.name}: the CPU toggle is kept in the URL and survives a reload`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      await page.goto(server.url);
      await waitForBackend(page, configuration.backend);
      await page.getByTestId('force-cpu').check();
      await waitForBackend(page, 'cpu');
      await page.waitForFunction(() => location.search.includes('backend=cpu'));
      assert.match(await page.getByTestId('backend').textContent(), /CPU \(chosen\)/);
      assert.equal((await readScores(page)).path, 'cpu');

      await page.reload();
      await waitForBackend(page, 'cpu');
      assert.ok(await page.getByTestId('force-cpu').isChecked(), 'the toggle is restored from the URL');
      await page.getByTestId('force-cpu').uncheck();
      await waitForBackend(page, configuration.backend);
      await page.waitForFunction(() => !location.search.includes('backend='));
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await browser.close();
    }
  });

  test(`${configuration.name}: a hostile query string gets a notice, not a broken page`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      const hostile = '?backend=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&backend=%E0%A4%A&%%%=&x=' + 'y'.repeat(5000);
      page.on('dialog', (d) => {
        errors.push(`dialog: ${d.message()}`);
        d.dismiss();
      });
      await page.goto(server.url + hostile);
      await waitForBackend(page, configuration.backend);
      const notices = await page.getByTestId('notices').textContent();
      assert.match(notices, /is not one of auto, cpu/);
      assert.equal(await page.locator('img').count(), 0, 'markup in the URL is shown as text, never parsed');
      assert.ok((await readScores(page)).values.length > 0);
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await browser.close();
    }
  });
}
