// The lesson in headless Chromium, with WebGPU on and off: all seven steps, their live numbers
// held to what the page draws (or to an independent computation from it), numbers that follow
// the reader's own text, the way between steps and out to the explorer, embeds, and
// screenshots of every step at desktop and phone widths.
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

// Each map's feature count at the app's default m = 64 and d = 32 (the FLOP model's m).
const FEATURES = { elu: 32, relu: 32, performer: 64, trig: 128, taylor: 1057, hedgehog: 64, 'hedgehog-untrained': 64 };
const D = 32;

/** Wait until the view drawn is the one for the URL's state, and the step's sentences are in. */
async function settle(page, step) {
  await page.waitForFunction(
    (n) => {
      const lesson = document.querySelector('[data-testid="lesson"]');
      const view = document.querySelector('section.view');
      return lesson?.dataset.step === String(n) && view && view.dataset.state === location.search.replace(/^\?/, '')
        && document.querySelector('[data-testid="lesson-sentence"], [data-testid="lesson-honest"]');
    },
    step,
    { timeout: 120_000 },
  );
  // The steps whose numbers come with the view's long work.
  if (step === 2) await page.waitForSelector('.live[data-check^="error-m-"]', { timeout: 120_000 });
  if (step === 6) await page.waitForSelector('.live[data-check^="spread:"]', { timeout: 120_000 });
}

/** Every live number of the lesson, with the value the page or an independent computation gives. */
async function liveNumbers(page) {
  return page.evaluate(({ features, d }) => {
    const byId = (id) => document.querySelector(`[data-testid="${id}"]`);
    const values = (id) => JSON.parse(byId(id).dataset.values);
    const series = (id) => JSON.parse(byId(id).dataset.series);
    const tv = (a, b) => 0.5 * a.reduce((s, x, j) => s + Math.abs(x - b[j]), 0);
    const spectrumOf = (sigma) => {
      const top = Math.max(...sigma);
      const total = sigma.reduce((s, x) => s + x, 0);
      const h = -sigma.filter((x) => x > 0).reduce((s, x) => s + (x / total) * Math.log(x / total), 0);
      return { rank: sigma.filter((x) => x > 1e-4 * top).length, effective: Math.exp(h) };
    };
    const n = document.querySelectorAll('[data-testid="tokens"] .chip').length;
    const expected = (check) => {
      const [kind, ...rest] = check.split(':');
      if (kind.startsWith('map-')) return values(kind)[+rest[0]][+rest[1]];
      if (kind.startsWith('compare-')) return Number(byId(kind).querySelector(`td[data-column="${rest[0]}"]`).dataset.value);
      if (kind.startsWith('error-m-')) return series(kind)[+rest[0]][1][+rest[1]][1];
      if (kind === 'spread') return Number(byId(`spread-${rest[0]}`).querySelector(`td[data-layer="${rest[1]}"]`).dataset.value);
      if (kind === 'cosine') return Number(byId(`spread-${rest[0]}`).querySelector('td[data-cosine]').dataset.value);
      if (kind === 'tv') {
        const m = values(`map-${rest[0]}`);
        return tv(m[+rest[1]], m[+rest[2]]);
      }
      if (kind === 'rank' || kind === 'effective-rank') {
        const chart = rest[0] === 'softmax' ? document.querySelector('[data-testid^="spectrum-"]') : byId(`spectrum-${rest[0]}`);
        const [, points] = JSON.parse(chart.dataset.series)[rest[0] === 'softmax' ? 0 : 1];
        const s = spectrumOf(points.map(([, y]) => y));
        return kind === 'rank' ? s.rank : s.effective;
      }
      if (kind === 'kernel-top' || kind === 'kernel-rest') {
        const pairs = series(`kernel-${rest[0]}`)[0][1].filter(([e]) => Number.isFinite(e)).sort((a, b) => b[0] - a[0]);
        const top = Math.ceil(pairs.length / 10);
        const part = kind === 'kernel-top' ? pairs.slice(0, top) : pairs.slice(top);
        const diff = part.reduce((s, [e, a]) => s + (a - e) ** 2, 0);
        const base = part.reduce((s, [e]) => s + e * e, 0);
        return Math.sqrt(diff / base);
      }
      if (kind === 'flops') return rest[0] === 'softmax' ? 4 * n * n * d : 4 * n * d * features[rest[0]];
      if (kind === 'breaks-even') return features[rest[0]];
      throw new Error(`unknown check ${check}`);
    };
    return [...document.querySelectorAll('[data-testid="lesson"] .live')].map((el) => ({
      check: el.dataset.check,
      value: Number(el.dataset.value),
      expected: expected(el.dataset.check),
    }));
  }, { features: FEATURES, d: D });
}

function assertNumbersHold(numbers, what) {
  assert.ok(numbers.length > 0, `${what}: live numbers`);
  for (const { check, value, expected } of numbers) {
    assert.ok(Number.isFinite(expected), `${what}: ${check} resolves (${expected})`);
    const tolerance = 1e-9 * Math.max(1, Math.abs(expected));
    assert.ok(Math.abs(value - expected) <= tolerance, `${what}: ${check} says ${value}, the page draws ${expected}`);
  }
}

// A different text for every step: the numbers must follow it.
const MINE = 'my sister lent her old bicycle to the neighbour who never gave it back until the spring came';

for (const configuration of configurations) {
  test(`${configuration.name}: all seven steps, their numbers held to the page, following the reader's text`, async () => {
    const browser = await launch(configuration);
    try {
      const { page, errors } = await openPage(browser.context);
      for (let step = 1; step <= 7; step++) {
        await page.goto(`${server.url}?lesson=${step}`);
        await settle(page, step);
        assert.match(await page.getByTestId('lesson-title').innerText(), /\w/);
        const before = await liveNumbers(page);
        assertNumbersHold(before, `step ${step}`);

        // The reader's own text: the link keeps the step and adds the text; the numbers follow.
        const box = page.getByTestId('text');
        await box.fill(MINE);
        await page.waitForFunction(() => new URLSearchParams(location.search).get('text') !== null);
        assert.equal(new URLSearchParams(new URL(page.url()).search).get('lesson'), String(step));
        await settle(page, step);
        const after = await liveNumbers(page);
        assertNumbersHold(after, `step ${step}, the reader's text`);
        const changed = after.some((a, i) => !before[i] || a.check !== before[i].check || a.value !== before[i].value)
          || after.length !== before.length;
        assert.ok(changed, `step ${step}: the numbers follow the text`);
      }
      assert.deepEqual(errors, [], 'no console errors');
    } finally {
      await browser.close();
    }
  });
}

test('the lesson walks forward and back, leaves into the explorer with the state kept, and embeds', async () => {
  const browser = await launch(configurations[1]);
  try {
    const { page, errors } = await openPage(browser.context);
    await page.goto(`${server.url}?lesson=1`);
    await settle(page, 1);
    assert.ok(await page.getByTestId('lesson-prev').isDisabled());
    await page.getByTestId('lesson-next').click();
    await settle(page, 2);
    assert.equal(new URL(page.url()).search, '?lesson=2');
    assert.equal(await page.locator('section.view').getAttribute('data-testid'), 'view-kernel');
    await page.getByTestId('lesson-step-7').click();
    await settle(page, 7);
    assert.ok(await page.getByTestId('lesson-next').isDisabled());
    await page.getByTestId('lesson-prev').click();
    await settle(page, 6);
    // Out of the lesson: the step's state stays, written out in full.
    await page.getByTestId('lesson-leave').click();
    await page.getByTestId('lesson').waitFor({ state: 'detached' });
    const params = new URLSearchParams(new URL(page.url()).search);
    assert.equal(params.get('lesson'), null);
    assert.equal(params.get('view'), 'spread');
    assert.equal(params.get('layer'), '1');
    // A step embeds on its own.
    await page.goto(`${server.url}?lesson=3&embed=1`);
    await settle(page, 3);
    await page.getByTestId('embed').waitFor();
    assert.equal(await page.locator('.masthead').count(), 0);
    // An embed says what it dropped, compactly, and the notice can be dismissed.
    await page.goto(`${server.url}?embed=1&view=../../etc/passwd`);
    await page.getByTestId('view-maps').waitFor({ timeout: 60_000 });
    const notice = page.getByTestId('notices');
    assert.match(await notice.innerText(), /view .*is not one of maps, kernel, errors, spread, cost; using maps/);
    await notice.getByRole('button', { name: 'Dismiss' }).click();
    await notice.waitFor({ state: 'detached' });
    // A bad step is a notice, and the explorer.
    await page.goto(`${server.url}?lesson=9`);
    await page.getByTestId('notices').waitFor();
    assert.equal(await page.getByTestId('lesson').count(), 0);
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await browser.close();
  }
});

test('screenshots of every step at 1440 and 390 px; the page never scrolls sideways', async () => {
  const browser = await launch(configurations[1]);
  try {
    const { page, errors } = await openPage(browser.context);
    for (const [width, height, label] of [[1440, 900, 'desktop'], [390, 844, 'phone']]) {
      await page.setViewportSize({ width, height });
      for (let step = 1; step <= 7; step++) {
        await page.goto(`${server.url}?lesson=${step}`);
        await settle(page, step);
        await page.waitForTimeout(200);
        await saveScreenshot(page, `lesson-${step}-${label}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 1, `step ${step} at ${width} px scrolls sideways by ${overflow} px`);
      }
    }
    assert.deepEqual(errors, [], 'no console errors');
  } finally {
    await browser.close();
  }
});

const AXE = fs.readFileSync(path.join(root, 'e2e', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it stands. */
async function seriousViolations(page) {
  // Evaluated through the devtools protocol: the page's own CSP rightly refuses inline scripts.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  return result;
}

test('axe-core finds no serious or critical violations in any lesson step, view or embed, in either theme', async () => {
  const browser = await launch(configurations[1]);
  try {
    const { page } = await openPage(browser.context);
    const found = [];
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      for (let step = 1; step <= 7; step++) {
        await page.goto(`${server.url}?lesson=${step}`);
        await settle(page, step);
        for (const v of await seriousViolations(page)) found.push(`${colorScheme}, lesson ${step}: ${v}`);
      }
      for (const view of ['maps', 'kernel', 'errors', 'spread', 'cost']) {
        for (const embed of ['', '&embed=1']) {
          await page.goto(`${server.url}?view=${view}${embed}`);
          await page.getByTestId(`view-${view}`).waitFor({ timeout: 60_000 });
          for (const v of await seriousViolations(page)) found.push(`${colorScheme}, ${view}${embed}: ${v}`);
        }
      }
    }
    assert.deepEqual(found, []);
  } finally {
    await browser.close();
  }
});
