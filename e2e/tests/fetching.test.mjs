// The word embeddings are fetched as the text needs them, in shards of 16 rows, from a static
// server without Range support (the harness's): the request log shows which, every shard is
// checked, and a shard that fails leaves a clear message, the text, and a retry on the next edit.
// The layers come the same way, two files each, the first map waiting only for those it needs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, configurations, launch, openPage, dist } from '../lib/harness.mjs';

const SUB_PATH = '/some/sub/path/';
let server;
before(async () => {
  server = await serve(dist, { [SUB_PATH]: dist, '/': dist });
});
after(async () => {
  await server?.close();
});

const shard = (url) => /\/embeddings\/(\d+)\.bin$/.exec(new URL(url).pathname)?.[1];
const SHARDS = 1908;

/** Wait until the view shows the state of the current link. */
async function settled(page) {
  await page.waitForFunction(
    () => {
      const view = document.querySelector('[data-testid^="view-"]');
      return view && view.dataset.state === location.search.replace(/^\?/, '');
    },
    undefined,
    { timeout: 60_000 },
  );
}

async function type(page, text) {
  await page.getByTestId('text').fill(text);
}

// One configuration: the fetching is the worker's, the same whichever backend draws.
const configuration = configurations.find((c) => c.backend === 'cpu');

test('only the shards the text needs are fetched, once each, from a sub-path', async () => {
  const browser = await launch(configuration);
  try {
    const { page, errors } = await openPage(browser.context);
    const log = [];
    page.on('response', (r) => log.push({ url: r.url(), status: r.status() }));
    await page.goto(new URL(server.url).origin + SUB_PATH);
    await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });
    const first = log.filter((r) => shard(r.url) !== undefined);
    assert.ok(first.length >= 5 && first.length <= 20, `the default text's shards: ${first.length}`);
    assert.ok(first.every((r) => r.status === 200 && r.url.includes(SUB_PATH + 'embeddings/')), 'from the sub-path');
    assert.equal(new Set(first.map((r) => r.url)).size, first.length, 'each once');

    // New words fetch their shards; words already seen fetch nothing.
    const before = log.length;
    await type(page, 'Reykjavik hauptbahnhof quixotic xylophone zeppelin');
    await settled(page);
    const typed = log.slice(before).filter((r) => shard(r.url) !== undefined);
    assert.ok(typed.length >= 3, `new words, new shards: ${typed.length}`);
    assert.ok(typed.every((r) => !first.some((f) => f.url === r.url)), 'no shard twice');
    const again = log.length;
    await type(page, 'the cat and the zeppelin');
    await settled(page);
    assert.equal(log.slice(again).filter((r) => shard(r.url) !== undefined).length, 0, 'nothing new to fetch');
    assert.ok(log.filter((r) => shard(r.url) !== undefined).length < SHARDS / 10, 'never the whole table');
    console.log(`shards fetched: ${first.length} for the default text, ${typed.length} more for five new words`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('a shard that fails (network, corrupt, truncated) leaves a message and the text, and the next edit retries', async () => {
  const browser = await launch(configuration);
  try {
    const { page } = await openPage(browser.context);
    await page.goto(server.url);
    await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });

    for (const [fault, handler, message] of [
      ['network down', (route) => route.abort('internetdisconnected'), /did not load \(embeddings\/\d+\.bin: could not load/],
      [
        'corrupt',
        async (route) => {
          const response = await route.fetch();
          const body = Buffer.from(await response.body());
          body[10] ^= 0xff;
          await route.fulfill({ response, body });
        },
        /do not match the hash/,
      ],
      [
        'truncated',
        async (route) => {
          const response = await route.fetch();
          await route.fulfill({ response, body: (await response.body()).subarray(0, 100) });
        },
        /has 100 bytes, expected 4608/,
      ],
    ]) {
      await page.route('**/embeddings/*.bin', handler);
      // Words of another language each time, so their shards are not in yet.
      const text = { 'network down': 'Bonjour Montréal', corrupt: 'Gemütlichkeit Wörterbuch', truncated: 'Mañana Zaragoza' }[fault];
      await type(page, text);
      const alert = page.getByTestId('analysis-error');
      await alert.waitFor({ timeout: 30_000 });
      const said = await alert.innerText();
      assert.match(said, new RegExp(`“${text}” could not be analysed`), `${fault}: names the text`);
      assert.match(said, message, `${fault}: says why`);
      assert.match(said, /the next edit tries again/);
      assert.equal(await page.getByTestId('text').inputValue(), text, `${fault}: the text is kept`);

      await page.unroute('**/embeddings/*.bin');
      await type(page, text + '!');
      await settled(page);
      await page.getByTestId('map-softmax').waitFor();
      assert.equal(await page.getByTestId('analysis-error').count(), 0, `${fault}: recovered`);
    }
  } finally {
    await browser.close();
  }
});

test('the model file lost to the network: a message, the text kept, and the next edit loads it', async () => {
  const browser = await launch(configuration);
  try {
    const { page } = await openPage(browser.context);
    await page.route('**/model.safetensors', (route) => route.abort('internetdisconnected'));
    await page.goto(server.url + '?text=' + encodeURIComponent('typed before the network went'));
    const status = page.getByTestId('model-status');
    await page.waitForFunction(() => /could not be loaded/.test(document.querySelector('[data-testid="model-status"]')?.textContent ?? ''), undefined, {
      timeout: 60_000,
    });
    assert.match(await status.innerText(), /model\.safetensors.*Your text is kept; edit it to try again/s);
    assert.equal(await page.getByTestId('text').inputValue(), 'typed before the network went');

    await page.unroute('**/model.safetensors');
    await type(page, 'typed before the network went, and after');
    await settled(page);
    await page.getByTestId('map-softmax').waitFor();
    assert.equal(await page.getByTestId('model-status').count(), 0, 'the model is in');
    assert.equal(await page.getByTestId('text').inputValue(), 'typed before the network went, and after');
  } finally {
    await browser.close();
  }
});

test('the layers arrive in two files each: the first map waits for layer 0 only, and a later layer lost to the network is fetched again', async () => {
  const browser = await launch(configuration);
  try {
    const { page, errors } = await openPage(browser.context);
    // Requests in the order the engine made them; the responses' statuses.
    const layers = [];
    const statuses = [];
    const layer = (url) => /\/layers\/(\d\.\w+)\.safetensors$/.exec(new URL(url).pathname)?.[1];
    page.on('request', (r) => layer(r.url()) && layers.push({ file: layer(r.url()), url: r.url() }));
    page.on('response', (r) => layer(r.url()) && statuses.push(r.status()));
    await page.route('**/layers/2.*', (route) => route.abort('internetdisconnected'));
    await page.goto(new URL(server.url).origin + SUB_PATH);
    await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });
    // The overview needs every layer: it says why it cannot be drawn, and the map stays.
    const unavailable = page.getByTestId('unavailable-overview');
    await unavailable.waitFor({ timeout: 60_000 });
    assert.match(await unavailable.innerText(), /layers\/2\.qkv\.safetensors: could not load.*The next edit tries again/s);
    assert.equal(await page.getByTestId('map-softmax').count(), 1, 'the first map stays');
    assert.deepEqual(
      layers.map((l) => l.file),
      ['0.qkv', '0.output', '1.qkv', '1.output', '2.qkv', '2.output'],
      'layer 0 first, then the rest in order, each once',
    );
    assert.ok(layers.every((l) => l.url.includes(SUB_PATH + 'layers/')), 'from the sub-path');
    assert.deepEqual(statuses, [200, 200, 200, 200], 'layer 2 never arrived');

    await page.unroute('**/layers/2.*');
    await type(page, 'the network is back');
    await settled(page);
    await page.waitForFunction(() => document.querySelector('[data-testid="overview"]')?.dataset.path, undefined, { timeout: 60_000 });
    assert.deepEqual(
      layers.map((l) => l.file),
      ['0.qkv', '0.output', '1.qkv', '1.output', '2.qkv', '2.output', '2.qkv', '2.output'],
      'only the missing layer is fetched again',
    );
    assert.deepEqual(errors.filter((e) => !/layers\/2\.|Failed to load resource|Failed to fetch/.test(e)), []);
  } finally {
    await browser.close();
  }
});

test('once the whole model is in, the page keeps an offline copy: with the server gone it reloads and draws; a new word needs the network and loads when it is back', async () => {
  // A server of its own, to take away.
  let own = await serve(dist, { [SUB_PATH]: dist });
  const address = new URL(own.url);
  const browser = await launch({ ...configuration, serviceWorkers: 'allow' });
  try {
    const { page } = await openPage(browser.context);
    const shards = new Set();
    page.on('request', (r) => shard(r.url()) !== undefined && shards.add(r.url()));
    await page.goto(address.origin + SUB_PATH + '?text=' + encodeURIComponent('The cat sat on the mat.'));
    await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="overview"]')?.dataset.path, undefined, { timeout: 60_000 });
    // Registered once every layer is in, it keeps what the first load fetched: the site's
    // files, every layer, and the text's embedding shards.
    const kept = async () =>
      page.evaluate(async () => {
        const registration = await navigator.serviceWorker.getRegistration();
        const urls = (await (await caches.open('kernelscope')).keys()).map((r) => r.url);
        return { active: registration?.active?.state === 'activated', urls };
      });
    const deadline = Date.now() + 60_000;
    let copy = await kept();
    const complete = (c) => c.active && c.urls.some((u) => /\/layers\/2\.output/.test(u)) && [...shards].every((u) => c.urls.includes(u));
    while (!complete(copy)) {
      assert.ok(Date.now() < deadline, `the offline copy is incomplete: ${JSON.stringify(copy)}`);
      await new Promise((r) => setTimeout(r, 200));
      copy = await kept();
    }
    // The copy was taken from the browser's HTTP cache, not fetched again.
    const requested = own.log.filter((p) => p.endsWith('/layers/2.output.safetensors') || p.endsWith('_bg.wasm'));
    console.log(`offline copy: ${copy.urls.length} files kept; requests for the wasm and layer 2's output: ${requested.length}`);
    assert.equal(requested.length, 2, `each came over the network once: ${requested}`);
    // An older build's wasm in the copy: dropped when the page next hands over its files.
    const older = new URL('kernelscope-0123456789abcdef_bg.wasm', address.origin + SUB_PATH).href;
    await page.evaluate(async (url) => (await caches.open('kernelscope')).put(url, new Response('old')), older);
    await own.close();
    own = null;
    await browser.context.setOffline(true);
    await page.reload();
    await page.getByTestId('map-softmax').waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="overview"]')?.dataset.path, undefined, { timeout: 60_000 });
    assert.equal(await page.getByTestId('text').inputValue(), 'The cat sat on the mat.');
    assert.equal(await page.getByTestId('analysis-error').count(), 0, 'drawn from the offline copy');
    const dropped = Date.now() + 30_000;
    while (await page.evaluate(async (url) => !!(await (await caches.open('kernelscope')).match(url)), older)) {
      assert.ok(Date.now() < dropped, 'the older build is dropped from the copy');
      await new Promise((r) => setTimeout(r, 200));
    }

    // A word whose embedding shard was never fetched needs the network.
    await type(page, 'The cat sat on the mat in Reykjavik.');
    const alert = page.getByTestId('analysis-error');
    await alert.waitFor({ timeout: 30_000 });
    assert.match(await alert.innerText(), /could not be analysed.*the next edit tries again/s);

    // The network is back (the same address): the next edit loads it.
    own = await serve(dist, { [SUB_PATH]: dist }, Number(address.port));
    await browser.context.setOffline(false);
    await type(page, 'The cat sat on the mat in Reykjavik!');
    await settled(page);
    await page.getByTestId('map-softmax').waitFor();
    assert.equal(await page.getByTestId('analysis-error').count(), 0, 'recovered');
  } finally {
    await browser.close();
    await own?.close();
  }
});
