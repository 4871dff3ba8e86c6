// Leadline's desktop notifications in the page (F5.2). The server decides who is told what
// (the inbox's event stream carries `notify` events); this shows them, once per user: of
// all open inbox tabs one leads (Web Locks) and only it shows notifications; none is shown
// for the conversation a focused tab is looking at. The inbox calls it through
// `window.LeadlineNotify`.
(function () {
  "use strict";
  var LOCK = "leadline-notifications";
  var LOOKING = "leadline-looking";
  var tab = Math.random().toString(36).slice(2);
  var leader = false;
  var release = null;
  var abort = null;
  var sound = "none";
  var current = null;

  // Web Push: this browser's subscription, saved for the user, so notifications arrive with
  // no Leadline tab open. Browsers without a push service (or headless ones) just skip it.
  function subscribePush() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) return;
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    navigator.serviceWorker.register("/sw.js").then(function (reg) {
      return fetch("/api/push/key", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (k) {
          return reg.pushManager.getSubscription().then(function (sub) {
            return sub || reg.pushManager.subscribe({
              userVisibleOnly: true,
              applicationServerKey: fromBase64Url(k.key),
            });
          });
        })
        .then(function (sub) {
          return fetch("/api/push/subscribe", {
            method: "POST",
            credentials: "same-origin",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(sub),
          });
        });
    }).catch(function () {});
  }

  function fromBase64Url(s) {
    var b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    var out = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
    return out;
  }

  // While an inbox tab is in front the server sends no push (the tab shows it).
  var frontTimer = null;
  function front(on) {
    fetch("/api/notifications/focus", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ focused: on }),
      keepalive: true,
    }).catch(function () {});
  }
  function onFocus() { front(true); }
  function onBlur() { front(false); }

  function start() {
    if (frontTimer === null) {
      window.addEventListener("focus", onFocus);
      window.addEventListener("blur", onBlur);
      if (document.hasFocus()) front(true);
      frontTimer = setInterval(function () { if (document.hasFocus()) front(true); }, 30000);
      subscribePush();
    }
    if (release || abort) return;
    if (!navigator.locks) { leader = true; return; }
    abort = new AbortController();
    navigator.locks.request(LOCK, { signal: abort.signal }, function () {
      leader = true;
      abort = null;
      return new Promise(function (resolve) { release = resolve; });
    }).catch(function () {});
  }

  function stop() {
    if (frontTimer !== null) {
      clearInterval(frontTimer);
      frontTimer = null;
      window.removeEventListener("focus", onFocus);
      window.removeEventListener("blur", onBlur);
      if (document.hasFocus()) front(false);
    }
    leader = false;
    if (release) { release(); release = null; }
    if (abort) { abort.abort(); abort = null; }
    forget();
  }

  function readLooking() {
    try { return JSON.parse(localStorage.getItem(LOOKING) || "null"); } catch (e) { return null; }
  }

  // A focused tab says which conversation it shows, so the leading tab can leave it alone.
  function report() {
    try {
      if (document.hasFocus()) {
        localStorage.setItem(LOOKING, JSON.stringify({ tab: tab, c: current }));
      } else {
        forget();
      }
    } catch (e) {}
  }

  function forget() {
    try {
      var l = readLooking();
      if (l && l.tab === tab) localStorage.removeItem(LOOKING);
    } catch (e) {}
  }

  function looking(conversationId) {
    current = conversationId || null;
    report();
  }

  function play() {
    if (sound === "none") return;
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      var ctx = new Ctx();
      var tones = sound === "ping" ? [1320] : [660, 880];
      tones.forEach(function (f, i) {
        var o = ctx.createOscillator();
        var g = ctx.createGain();
        var at = ctx.currentTime + i * 0.18;
        o.type = "sine";
        o.frequency.value = f;
        g.gain.setValueAtTime(0.15, at);
        g.gain.exponentialRampToValueAtTime(0.001, at + 0.5);
        o.connect(g);
        g.connect(ctx.destination);
        o.start(at);
        o.stop(at + 0.5);
      });
      setTimeout(function () { ctx.close(); }, 1500);
    } catch (e) {}
  }

  function open(url) {
    window.focus();
    if (location.pathname + location.search === url) return;
    // The app's router follows history changes: no reload, the draft stays.
    history.pushState(null, "", url);
    window.dispatchEvent(new PopStateEvent("popstate", { state: null }));
  }

  function notice(json) {
    var n;
    try { n = JSON.parse(json); } catch (e) { return; }
    if (!leader) return;
    var focused = document.hasFocus();
    if (focused && current === n.conversation_id) return;
    var other = readLooking();
    if (other && other.tab !== tab && other.c === n.conversation_id) return;
    if (!focused && !(other && other.tab !== tab)) play();
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      var shown = new Notification(n.title, { body: n.body, tag: n.conversation_id });
      shown.onclick = function () { open(n.url); if (shown.close) shown.close(); };
    } catch (e) {
      // Phones' browsers show notifications only through the service worker.
      if ("serviceWorker" in navigator) {
        navigator.serviceWorker.ready.then(function (r) {
          return r.showNotification(n.title, { body: n.body, tag: n.conversation_id, data: { url: n.url } });
        }).catch(function () {});
      }
    }
  }

  function permission() {
    return "Notification" in window ? Notification.permission : "unsupported";
  }

  // Only from a click: browsers refuse or hide prompts that are not from a gesture.
  function ask() {
    if (!("Notification" in window)) return Promise.resolve("unsupported");
    return Promise.resolve(Notification.requestPermission()).then(function (p) {
      if (p === "granted") subscribePush();
      return p;
    });
  }

  window.addEventListener("focus", report);
  window.addEventListener("blur", report);
  window.addEventListener("pagehide", forget);

  window.LeadlineNotify = {
    start: start,
    stop: stop,
    notice: notice,
    looking: looking,
    sound: function (s) { sound = s || "none"; },
    permission: permission,
    ask: ask,
  };
})();
