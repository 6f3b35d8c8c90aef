// The check-in page's copy of the event's list and its queue of check-ins, in IndexedDB, one
// pair of databases per organiser and event, so that another organiser signing in on the same
// phone neither sees nor sends them. The list (people, conflicts, meta) and the queue live in
// separate databases because signing out deletes the list (personal data the phone should not
// keep, door-sign-out.js) but never the queue: check-ins made offline and not yet sent are sent
// once the same organiser signs in again.
(function (root) {
  "use strict";

  var LIST_STORES = ["people", "conflicts", "meta"];

  function request(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  function openDatabase(name, stores) {
    var opening = indexedDB.open(name, 1);
    opening.onupgradeneeded = function () {
      stores.forEach(function (s) {
        opening.result.createObjectStore(s, s === "meta" ? undefined : { keyPath: s === "people" ? "code" : "key" });
      });
    };
    return request(opening).then(function (db) {
      // Signing out in another tab deletes the list: let it go rather than block it.
      db.onversionchange = function () { db.close(); };
      return db;
    });
  }

  function Store(owner, event) {
    this.listName = "mmm-check-in-list-" + owner + "-" + event;
    this.queueName = "mmm-check-in-queue-" + owner + "-" + event;
  }

  Store.prototype.open = function () {
    var self = this;
    return Promise.all([openDatabase(this.listName, LIST_STORES), openDatabase(this.queueName, ["queue"])])
      .then(function (dbs) { self.list = dbs[0]; self.queue = dbs[1]; return self; });
  };

  Store.prototype.database = function (name) {
    return name === "queue" ? this.queue : this.list;
  };

  function committed(tx) {
    return new Promise(function (resolve, reject) {
      tx.oncomplete = function () { resolve(); };
      tx.onerror = function () { reject(tx.error); };
      tx.onabort = function () { reject(tx.error); };
    });
  }

  // Runs ``work(stores)`` and resolves once it is committed, in one transaction per database.
  // The two may not both commit; either way nothing is lost: an item left in the queue is sent
  // again and recorded once by the server, a person not updated comes with the next refresh.
  Store.prototype.change = function (names, work) {
    var stores = {};
    var listNames = names.filter(function (n) { return n !== "queue"; });
    var listTx = listNames.length ? this.list.transaction(listNames, "readwrite") : null;
    var queueTx = names.indexOf("queue") >= 0 ? this.queue.transaction(["queue"], "readwrite") : null;
    listNames.forEach(function (n) { stores[n] = listTx.objectStore(n); });
    if (queueTx) { stores.queue = queueTx.objectStore("queue"); }
    work(stores);
    return Promise.all([listTx && committed(listTx), queueTx && committed(queueTx)]);
  };

  Store.prototype.all = function (name) {
    return request(this.database(name).transaction(name).objectStore(name).getAll());
  };

  Store.prototype.get = function (name, key) {
    return request(this.database(name).transaction(name).objectStore(name).get(key));
  };

  Store.prototype.meta = function () {
    return this.get("meta", "state").then(function (state) { return state || {}; });
  };

  // Deletes the list (the day after the event); the queue stays until it is sent.
  Store.prototype.forgetList = function () {
    this.list.close();
    this.queue.close();
    return request(indexedDB.deleteDatabase(this.listName));
  };

  root.MmmCheckInStore = Store;
}(window));
