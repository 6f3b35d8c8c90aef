// The check-in page's service worker: the page and its files kept so that the page opens with
// no network. The page asks it to keep them (a "cache" message) once it controls the page;
// after that the page is fetched from the network when there is one (and kept fresh) and
// from the cache when not. Nothing else is intercepted: the list and the sync go to the server.
"use strict";
var CACHE = "mmm-check-in-v1";
var PAGE = /^\/organiser\/events\/\d+\/check-in$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("message", function (event) {
  var port = event.ports[0];
  if (!event.data || !event.data.cache || !port) { return; }
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(event.data.cache); })
      .then(function () { port.postMessage("cached"); },
        function () { port.postMessage("failed"); })
  );
});

function keep(key, response) {
  if (response.ok && !response.redirected) {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { return cache.put(key, copy); });
  }
  return response;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && PAGE.test(url.pathname)) {
    // A search typed without script (?q=) opens the same page, searched on the phone.
    event.respondWith(
      fetch(request)
        .then(function (response) { return url.search ? response : keep(url.pathname, response); })
        .catch(function () {
          return caches.match(url.pathname).then(function (r) { return r || Response.error(); });
        })
    );
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(
      caches.match(request).then(function (cached) {
        return cached || fetch(request).then(function (r) { return keep(request, r); });
      })
    );
  }
});
