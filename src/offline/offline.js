// The site's offline copy: a service worker, registered by the page once the engine holds the
// whole model. It answers every request of the site from the network when it can, keeping what
// it gets, and from that copy when the network is gone; so a page that has loaded once reloads
// and draws offline (new words still need their embedding shards from the network). On install
// it copies the files a first load fetched (PRECACHE, listed at build time by
// scripts/csp.py) from the browser's HTTP cache ('force-cache'), not the network again.
const CACHE = 'kernelscope';
const PRECACHE = [];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await Promise.all(
        PRECACHE.map(async (file) => {
          const request = new Request(file, { cache: 'force-cache' });
          const response = await fetch(request);
          if (response.ok) await cache.put(file, response);
        }),
      );
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// A file whose name carries a build's hash (the wasm, its glue, the CSS) and that this build
// does not list is an older build's: it is dropped, so the copy does not grow with every
// deployment.
async function dropOlderBuilds(cache) {
  const scope = self.registration.scope;
  for (const request of await cache.keys()) {
    const file = request.url.startsWith(scope) ? request.url.slice(scope.length) : request.url;
    if (/-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/.test(file) && !PRECACHE.includes(file)) {
      await cache.delete(request);
    }
  }
}

// The page names files it fetched before this worker started (the first text's embedding
// shards): keep them too, from the HTTP cache where it has them.
self.addEventListener('message', (event) => {
  if (!Array.isArray(event.data)) return;
  const files = event.data.filter((file) => typeof file === 'string' && !/^[a-z]+:|^\/\//i.test(file));
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await dropOlderBuilds(cache);
      await Promise.all(
        files.map(async (file) => {
          const response = await fetch(new Request(file, { cache: 'force-cache' }));
          if (response.ok) await cache.put(file, response);
        }),
      );
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      // A link's state is in its query: the page is kept once, under its path.
      const key = request.mode === 'navigate' ? new URL(request.url).pathname : request;
      try {
        const response = await fetch(request);
        if (response.ok) await cache.put(key, response.clone());
        return response;
      } catch (error) {
        const kept = await cache.match(key);
        if (kept) return kept;
        throw error;
      }
    })(),
  );
});
