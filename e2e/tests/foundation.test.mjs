// The built site in headless Chromium, with WebGPU on and off: it loads cleanly, names its
// backend, computes in a Web Worker on that backend, and recovers when the worker dies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, configurations, launch, openPage, saveScreenshot } from '../lib/harness.mjs';

let server;
before(async () => {
  server = await serve();
});
after(async () => {
  await server?.close();
});

/** The path ("webgpu" or "cpu") of the drawn maps, once they show the state in the address. */
async function drawnPath(page) {
  await page.waitForFunction(
    () => {
      const view = document.querySelector('[data-testid^="view-"]');
      return view && view.dataset.state === location.search.replace(/^\?/, '');
    },
    null,
    { timeout: 60_000 },
  );
  return page.locator('[data-testid^="view-"]').first().getAttribute('data-path');
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
  test(`${configuration.name}: loads, names the backend, and draws the maps on it from a Web Worker`, async () => {
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

      // The WebGPU path can start after the CPU's first answer; the maps end up on the named backend.
      await page.waitForFunction(
        (want) => document.querySelector('[data-testid="view-maps"]')?.dataset.path === want,
        configuration.backend,
        { timeout: 60_000 },
      );
      assert.equal(await drawnPath(page), configuration.backend, 'the maps came from the named backend');
      assert.equal(page.workers().length, 1, 'the engine runs in one Web Worker');
      assert.match(page.workers()[0].url(), /engine_loader\.js$/);
      assert.equal(await page.getByTestId('scores').count(), 0, 'the foundation demo is gone');
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
      await page.waitForFunction(() => document.querySelector('[data-testid="view-maps"]')?.dataset.path === 'cpu', null, { timeout: 60_000 });

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
      assert.ok(['webgpu', 'cpu'].includes(await drawnPath(page)));
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await browser.close();
    }
  });
}

test('a worker that panics is restarted once and asked again; the text and state are kept', async () => {
  const browser = await launch(configurations[1]);
  try {
    const { page, errors } = await openPage(browser.context);
    await page.goto(`${server.url}?layer=1&head=8`);
    await drawnPath(page);
    const first = page.workers()[0];
    await page.evaluate(() => window.__kernelscope.panicEngine());
    // A new edit reaches a new worker, which draws it.
    await page.getByTestId('text').fill('The worker came back for this sentence.');
    assert.equal(await drawnPath(page), 'cpu');
    assert.match(await page.getByTestId('view-maps').getAttribute('data-state'), /worker\+came\+back/);
    assert.equal(await page.getByTestId('view-maps').getAttribute('data-head'), '1.8');
    assert.equal(page.workers().length, 1, 'the dead worker was replaced, not kept');
    assert.notEqual(page.workers()[0], first);
    assert.equal(await page.getByTestId('engine-failed').count(), 0);
    // The panic reached the console as the worker's error; nothing else did.
    assert.ok(errors.every((e) => /panic|unreachable|engine/i.test(e)), errors.join('\n'));
  } finally {
    await browser.close();
  }
});

test('a worker that cannot start twice is reported, and the text and link are kept', async () => {
  const browser = await launch(configurations[1]);
  try {
    const { page } = await openPage(browser.context);
    await page.goto(`${server.url}?view=errors`);
    await drawnPath(page);
    const search = await page.evaluate(() => location.search);
    // From now on the worker's script cannot be loaded: the restart fails as well.
    await browser.context.route('**/engine_loader.js', (route) => route.fulfill({ status: 404, body: 'gone' }));
    await page.evaluate(() => window.__kernelscope.panicEngine());
    await page.getByTestId('engine-failed').waitFor({ timeout: 30_000 });
    assert.match(await page.getByTestId('engine-failed').textContent(), /could not be restarted.*Your text and settings are kept/);
    assert.equal(await page.evaluate(() => location.search), search);
    await page.getByTestId('text').fill('still typed, still kept');
    await page.waitForFunction(() => location.search.includes('still+typed'));
    assert.equal(await page.getByTestId('text').inputValue(), 'still typed, still kept');
  } finally {
    await browser.close();
  }
});
