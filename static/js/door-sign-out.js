// Signing out and the check-in page's data on this phone (checkin-store.js). Signed in: the
// sign-out form asks first when check-ins made offline still wait to be sent. Signed out (the
// page after signing out, or any page once the session is gone): the lists kept for the door
// are deleted, with the check-in page's worker and cache, but the queues of check-ins stay, to
// be sent once the same organiser signs in again; the page says how many wait.
(function () {
  "use strict";
  if (!window.indexedDB || !indexedDB.databases) { return; }
  var LIST = "mmm-check-in-list-";
  var QUEUE = "mmm-check-in-queue-";

  function request(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  function named(prefix) {
    return indexedDB.databases().then(function (all) {
      return all.map(function (d) { return d.name; })
        .filter(function (n) { return n && n.indexOf(prefix) === 0; });
    });
  }

  function countQueued(name) {
    return request(indexedDB.open(name)).then(function (db) {
      var counted = db.objectStoreNames.contains("queue")
        ? request(db.transaction("queue").objectStore("queue").count()) : Promise.resolve(0);
      return counted.then(function (n) { db.close(); return n; });
    });
  }

  function waiting() {
    return named(QUEUE).then(function (names) { return Promise.all(names.map(countQueued)); })
      .then(function (counts) { return counts.reduce(function (a, b) { return a + b; }, 0); });
  }

  function forgetLists() {
    var gone = named(LIST).then(function (names) {
      return Promise.all(names.map(function (n) { return request(indexedDB.deleteDatabase(n)); }));
    });
    var cache = window.caches ? caches.delete("mmm-check-in-v1") : null;
    var worker = navigator.serviceWorker ? navigator.serviceWorker.getRegistrations().then(function (all) {
      return Promise.all(all.map(function (r) { return r.unregister(); }));
    }) : null;
    return Promise.all([gone, cache, worker]);
  }

  var form = document.querySelector("form.sign-out");
  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      waiting().catch(function () { return 0; }).then(function (count) {
        var text = form.dataset.waitingConfirm.replace("{count}", count);
        if (count === 0 || window.confirm(text)) { form.submit(); }
      });
    });
    return;
  }
  var line = document.getElementById("door-waiting");
  forgetLists().then(waiting).then(function (count) {
    if (line && count) {
      line.textContent = line.dataset.text.replace("{count}", count);
      // Styled as a message only once there is one: a hidden flash would read as one.
      line.className = "flash flash-error";
      line.hidden = false;
    }
    document.documentElement.dataset.doorForgotten = "1";
  });
}());
