// Check-in at the door, with or without a network. The event's list is kept on the phone
// (checkin-store.js) and refreshed in the background; a check-in is queued with a key made
// here and sent as soon as the server can be reached, which records each key once and says
// whether the person was already checked in (on another phone). Without script the page's
// own search and buttons work online, as before.
(function () {
  "use strict";
  var door = document.getElementById("door");
  if (!door || !window.indexedDB || !window.fetch || !window.crypto || !crypto.randomUUID) {
    return;
  }
  var text = JSON.parse(document.getElementById("door-strings").textContent);
  var part = function (name) { return door.querySelector('[data-door="' + name + '"]'); };
  var store = new window.MmmCheckInStore(door.dataset.owner, door.dataset.event);
  var clock = new Intl.DateTimeFormat("en-GB", {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: door.dataset.zone
  });
  var REFRESH_EVERY = 30000;
  var BATCH = 500;
  var people = {};
  var queue = [];
  var state = {};
  var refused = false;
  var syncing = null;
  var retryIn = 2000;

  function say(key, values) {
    return text[key].replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }
  function time(iso) { return clock.format(new Date(iso)); }
  function node(tag, className, content) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (content !== undefined) { element.textContent = content; }
    return element;
  }

  // A person as the server last said, with this phone's queued check-ins and undos applied.
  function current(code) {
    var known = people[code];
    if (!known) { return null; }
    var person = Object.assign({}, known, { here: false });
    queue.forEach(function (item) {
      if (item.code !== code) { return; }
      if (item.undo) {
        person.checked_in_at = null;
      } else if (!person.checked_in_at && person.status === "confirmed") {
        person.checked_in_at = item.made_at;
        person.here = true;
      }
    });
    return person;
  }

  function statusLine(person) {
    if (person.checked_in_at) {
      return person.here || !person.checked_in_by
        ? say("already_here", { time: time(person.checked_in_at) })
        : say("already", { time: time(person.checked_in_at), who: person.checked_in_by });
    }
    return text["status_" + person.status.replace("pending-waiting", "pending")];
  }

  function actionButton(person) {
    var undo = Boolean(person.checked_in_at);
    if (!undo && person.status !== "confirmed") { return null; }
    var button = node("button", undo ? "secondary" : "check-in-button",
      say(undo ? "undo" : "check_in", { name: person.name }));
    button.type = "button";
    button.addEventListener("click", function () { act(person.code, undo); });
    return button;
  }

  function showResult(person, message, kind) {
    var panel = part("result");
    panel.replaceChildren();
    panel.hidden = false;
    panel.className = "door-result door-result-" + kind;
    panel.appendChild(node("p", "door-message", message));
    if (person) {
      var name = node("p", "door-name");
      name.appendChild(node("bdi", "", person.name));
      panel.appendChild(name);
      if (person.organisation) {
        var organisation = node("p", "meta");
        organisation.appendChild(node("bdi", "", person.organisation));
        panel.appendChild(organisation);
      }
      panel.appendChild(node("p", "door-status-line", statusLine(person)));
      var button = actionButton(person);
      if (button) { panel.appendChild(button); }
    }
  }

  function renderStatus() {
    part("network").textContent = navigator.onLine ? text.online : text.offline;
    part("updated").textContent = state.updated
      ? say("updated", { time: time(state.updated), count: Object.keys(people).length })
      : text.never;
    part("waiting").textContent = say("waiting", { count: queue.length });
    var notice = part("refused");
    notice.hidden = !refused;
    notice.textContent = refused ? say("refused", { count: queue.length }) : "";
  }

  function renderConflicts(conflicts) {
    var section = part("conflicts");
    var list = section.querySelector("ul");
    list.replaceChildren();
    conflicts.forEach(function (c) {
      list.appendChild(node("li", "", say("twice", { name: c.name, time: time(c.at), who: c.by })));
    });
    section.hidden = conflicts.length === 0;
  }

  // What the server answered for one queued item: the person as the database has them, and
  // a conflict kept when a check-in made offline found the person checked in by someone else.
  function applyResult(result, item, stores) {
    stores.queue.delete(result.key);
    if (result.person) {
      people[result.code] = result.person;
      stores.people.put(result.person);
    }
    if (result.outcome === "already" && item.offline && !item.undo && result.person) {
      stores.conflicts.put({
        key: result.key, name: result.person.name,
        at: result.person.checked_in_at, by: result.person.checked_in_by
      });
    }
  }

  function refuse() {
    refused = true;
    renderStatus();
  }

  function send(batch) {
    return fetch(door.dataset.syncUrl, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: {
        "Content-Type": "application/json", "X-CSRFToken": state.csrf || door.dataset.csrf,
        "X-Check-In-Owner": door.dataset.owner
      },
      body: JSON.stringify({ items: batch.map(function (i) {
        return { key: i.key, code: i.code, made_at: i.made_at, undo: i.undo };
      }) })
    });
  }

  // Sends the queue, oldest first, a batch at a time. A refusal (session ended, another
  // organiser's queue, an old token) keeps the queue and says so; a failure retries later.
  function sync() {
    if (syncing) { return syncing; }
    var answers = {};
    function next() {
      var batch = queue.slice(0, BATCH);
      if (!batch.length || !navigator.onLine) { return answers; }
      return send(batch).then(function (response) {
        if (response.status === 429 || response.status >= 500) { throw new Error("later"); }
        if (!response.ok) { refuse(); return answers; }
        return response.json().then(function (body) {
          var byKey = {};
          batch.forEach(function (i) { byKey[i.key] = i; });
          return store.change(["queue", "people", "conflicts"], function (stores) {
            body.results.forEach(function (r) { answers[r.key] = r; applyResult(r, byKey[r.key], stores); });
          }).then(function () {
            queue = queue.filter(function (i) { return !answers[i.key]; });
            refused = false;
            retryIn = 2000;
            return store.all("conflicts").then(renderConflicts).then(next);
          });
        });
      });
    }
    syncing = Promise.resolve().then(next).catch(function () {
      window.setTimeout(sync, retryIn);
      retryIn = Math.min(retryIn * 2, 60000);
      return answers;
    }).then(function (result) {
      syncing = null;
      renderStatus();
      return result;
    });
    return syncing;
  }

  // Asks for what changed since the last refresh (all of it the first time).
  function refresh() {
    if (!navigator.onLine) { return Promise.resolve(); }
    var url = door.dataset.listUrl + (state.since ? "?since=" + encodeURIComponent(state.since) : "");
    return fetch(url, { credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        if (!response.ok) { if (queue.length) { refuse(); } return null; }
        return response.json();
      })
      .then(function (body) {
        if (!body) { return; }
        state = { since: body.since, updated: new Date().toISOString(),
          keep_until: body.keep_until, csrf: body.csrf_token };
        return store.change(["people", "meta"], function (stores) {
          body.people.forEach(function (p) { people[p.code] = p; stores.people.put(p); });
          stores.meta.put(state, "state");
        });
      })
      .catch(function () { return null; })
      .then(renderStatus);
  }

  function act(code, undo) {
    var item = {
      key: crypto.randomUUID(), code: code, made_at: new Date().toISOString(),
      undo: undo, offline: !navigator.onLine, seq: Date.now() + queue.length / 1000
    };
    queue.push(item);
    return store.change(["queue"], function (stores) { stores.queue.put(item); })
      .then(function () { renderStatus(); return navigator.onLine ? sync() : {}; })
      .then(function (answers) { report(item, answers[item.key]); });
  }

  function report(item, answer) {
    var person = current(item.code);
    var name = { name: person.name };
    if (item.undo) {
      showResult(person, say("undone", name), "done");
    } else if (!answer) {
      showResult(person, say("checked_in_queued", name), "done");
    } else if (answer.outcome === "new" || answer.outcome === "repeat") {
      showResult(person, say("checked_in", name), "done");
    } else {
      showResult(person, statusLine(person), "refused");
    }
    if (part("results").childElementCount) { search(); }
  }

  // A scanned or typed code: checked in at once when the person has a confirmed seat and is
  // not checked in yet; otherwise what stands in the way, in large type.
  function admit(code) {
    var person = current(code);
    var found = person ? Promise.resolve(person)
      : refresh().then(function () { return current(code); });
    return found.then(function (p) {
      if (!p) { showResult(null, text.unknown, "refused"); return; }
      if (p.checked_in_at || p.status !== "confirmed") {
        showResult(p, statusLine(p), "refused");
        return;
      }
      return act(code, false);
    });
  }

  function codeIn(value) {
    var match = /\/check-in\/([^/?#\s]+)/.exec(value);
    return (match ? match[1] : value).trim();
  }

  function search() {
    var input = document.getElementById("q");
    var results = part("results");
    results.replaceChildren();
    var q = window.mmmFold(input.value.split(/\s+/).filter(Boolean).join(" "));
    if (!q) { return; }
    var found = Object.keys(people).map(current).filter(function (p) {
      return window.mmmFold(p.name).indexOf(q) >= 0 ||
        window.mmmFold(p.organisation).indexOf(q) >= 0 || p.code === input.value.trim();
    }).sort(function (a, b) { return a.name.localeCompare(b.name); }).slice(0, 30);
    if (!found.length) { results.appendChild(node("li", "", say("nobody", { q: input.value }))); }
    found.forEach(function (p) {
      var card = node("li", "check-in-card");
      var who = node("p", "person");
      who.appendChild(node("strong", "", p.name));
      who.appendChild(document.createElement("br"));
      who.appendChild(node("bdi", "meta", p.organisation));
      card.appendChild(who);
      card.appendChild(node("p", p.checked_in_at ? "checked" : "", statusLine(p)));
      var button = actionButton(p);
      if (button) { card.appendChild(button); }
      results.appendChild(card);
    });
  }

  // Online, the page's search asks the server, as without script; offline, the list on the
  // phone answers, and a search typed offline (?q=, the page from the worker's cache) too.
  function start() {
    door.hidden = false;
    var form = document.querySelector("form.check-in-search[role=search]");
    var input = document.getElementById("q");
    form.addEventListener("submit", function (e) {
      if (!navigator.onLine) { e.preventDefault(); search(); }
    });
    input.addEventListener("input", function () { if (!navigator.onLine) { search(); } });
    if (!navigator.onLine) {
      input.value = new URLSearchParams(window.location.search).get("q") || input.value;
      var server = document.querySelector("[data-server-results]");
      if (server) { server.remove(); }
      search();
    }
    part("code-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var input = document.getElementById("door-code");
      admit(codeIn(input.value)).then(function () { input.value = ""; });
    });
    window.MmmCamera(part("scan"), part("video"), part("camera-error"), text, function (value) { admit(codeIn(value)); });
    window.addEventListener("online", function () { refresh().then(sync); });
    window.addEventListener("offline", renderStatus);
    window.setInterval(function () { refresh().then(sync); }, REFRESH_EVERY);
    keepOffline();
  }

  // The worker keeps this page and its files for opening with no network.
  function keepOffline() {
    if (!navigator.serviceWorker) { return; }
    navigator.serviceWorker.register(door.dataset.workerUrl, { scope: "/organiser/" });
    navigator.serviceWorker.ready.then(function (registration) {
      var files = [window.location.pathname];
      document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=icon], img[src]")
        .forEach(function (e) { files.push(e.getAttribute("src") || e.getAttribute("href")); });
      var channel = new MessageChannel();
      channel.port1.onmessage = function (e) { door.dataset.offlineReady = e.data; };
      registration.active.postMessage({ cache: files }, [channel.port2]);
    });
  }

  store.open()
    .then(function () { return store.meta(); })
    .then(function (meta) {
      if (meta.keep_until && new Date(meta.keep_until) < new Date()) {
        return store.forgetList().then(function () {
          showResult(null, text.deleted, "refused");
          return store.open();
        });
      }
      state = meta;
    })
    .then(function () { return Promise.all([store.all("people"), store.all("queue"), store.all("conflicts")]); })
    .then(function (all) {
      all[0].forEach(function (p) { people[p.code] = p; });
      queue = all[1].sort(function (a, b) { return a.seq - b.seq; });
      renderConflicts(all[2]);
      start();
      renderStatus();
      return refresh().then(sync);
    })
    .then(function () { door.dataset.ready = "1"; });
}());
