/* Leadline chat frame. The server decides what comes next; this script draws it, sends what
   the visitor types (with client ids, so a retry is stored once), and follows the
   conversation's event stream (which resumes by Last-Event-ID after a drop). */
(function () {
  "use strict";
  var body = document.body, data = body.dataset;
  var KEY = "leadline:" + data.key;
  var log = q(".ll-log"), promptBox = q(".ll-prompt"), note = q(".ll-note");
  var form = q(".ll-compose"), text = q("#ll-text"), title = q(".ll-name");
  var saved = read(), view = null, stream = null, shown = {}, outbox = saved.outbox || [];
  var sending = false;

  if (/^#[0-9a-f]{6}$/i.test(data.accent || "")) body.style.setProperty("--accent", data.accent);

  function q(s) { return document.querySelector(s); }
  function read() {
    try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { return {}; }
  }
  function write() {
    try {
      localStorage.setItem(KEY, JSON.stringify({
        token: saved.token, conversation: saved.conversation, outbox: outbox
      }));
    } catch (e) {}
  }
  function el(tag, cls, textContent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (textContent != null) e.textContent = textContent;
    return e;
  }
  function api(path, payload) {
    return fetch("/api/visitor/" + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { j.status = r.status; throw j; }
        return j;
      });
    });
  }
  function problem(err) {
    if (!err || !err.status) return "You are offline. We will send it when you are back.";
    var v = err.Validation || err.Conflict || err.NotFound || err.TooManyRequests;
    return (v && (v.message || v)) || "Something went wrong. Please try again.";
  }
  function idle(message) {
    note.hidden = !message;
    note.textContent = message || "";
  }
  function newId() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* Messages, once each (by number); a pending bubble is replaced by its stored message. */
  function addMessage(m) {
    if (shown[m.seq]) return;
    var pending = m.client_id && log.querySelector('[data-client="' + m.client_id + '"]');
    var row = el("div", "ll-msg ll-" + m.author);
    var bubble = el("div", "message-bubble message-body");
    if (m.html) bubble.innerHTML = m.body; /* sanitized by the server (allow-list) */
    else bubble.textContent = m.body;
    if (m.author === "agent" && m.name) row.appendChild(el("span", "ll-who", m.name));
    row.appendChild(bubble);
    row.dataset.seq = m.seq;
    shown[m.seq] = row;
    if (pending) pending.replaceWith(row);
    else {
      var next = null;
      for (var s in shown) if (+s > m.seq && shown[s] !== row && (!next || +s < +next.dataset.seq)) next = shown[s];
      log.insertBefore(row, next && next.parentNode === log ? next : firstPending());
    }
    scroll();
  }
  function firstPending() { return log.querySelector(".ll-pending"); }
  function scroll() { log.scrollTop = log.scrollHeight; }

  function drawPending(item) {
    var row = el("div", "ll-msg ll-visitor ll-pending");
    row.dataset.client = item.client_id;
    row.appendChild(el("div", "message-bubble message-body", item.body));
    row.appendChild(el("span", "ll-state", "Sending…"));
    log.appendChild(row);
    scroll();
  }

  function render(v) {
    view = v;
    saved.token = v.token;
    saved.conversation = v.conversation_id;
    write();
    title.textContent = v.agent_name || data.bot;
    v.messages.forEach(addMessage);
    drawPrompt(v.prompt);
    var closed = v.state === "closed";
    form.hidden = ["waiting", "assigned", "unassigned"].indexOf(v.state) < 0;
    if (closed) {
      idle("This conversation has been closed.");
      var again = el("button", "ll-again", "Start a new conversation");
      again.type = "button";
      again.onclick = function () { again.remove(); startNew(); };
      promptBox.textContent = "";
      promptBox.appendChild(again);
      if (stream) { stream.close(); stream = null; }
    } else {
      idle("");
      listen(v.last_event_id);
    }
  }

  function drawPrompt(p) {
    promptBox.textContent = "";
    if (!p) return;
    var f = el("form", "ll-answer");
    var error = el("p", "ll-error");
    error.setAttribute("role", "alert");
    function submit(payload) {
      payload.token = saved.token;
      payload.conversation_id = view.conversation_id;
      payload.card_id = p.card_id;
      error.textContent = "";
      Array.prototype.forEach.call(f.querySelectorAll("button,input"), function (b) { b.disabled = true; });
      api("answer", payload).then(render, function (err) {
        Array.prototype.forEach.call(f.querySelectorAll("button,input"), function (b) { b.disabled = false; });
        var field = err && err.Validation && err.Validation.field;
        var input = field && f.querySelector('[name="' + field + '"]');
        if (input) input.setAttribute("aria-invalid", "true");
        error.textContent = problem(err);
      });
    }
    if (p.kind === "choice") {
      p.answers.forEach(function (a) {
        var b = el("button", "ll-choice", a);
        b.type = "button";
        b.onclick = function () { submit({ text: a }); };
        f.appendChild(b);
      });
    }
    if (p.kind === "text" || p.free_text) {
      var id = "ll-answer-" + p.card_id;
      var label = el("label", "ll-label", "Your answer");
      label.htmlFor = id;
      var input = el("input");
      input.id = id; input.name = "answer"; input.required = true; input.maxLength = 1000;
      var send = el("button", "ll-submit", "Answer");
      send.type = "submit";
      f.appendChild(label); f.appendChild(input); f.appendChild(send);
      f.onsubmit = function (e) { e.preventDefault(); if (input.value.trim()) submit({ text: input.value }); };
    }
    if (p.kind === "capture") {
      p.fields.forEach(function (pair) {
        var id = "ll-field-" + pair[0];
        var label = el("label", "ll-label", pair[1]);
        label.htmlFor = id;
        var input = el("input");
        input.id = id; input.name = pair[0]; input.required = true;
        input.type = pair[0] === "email" ? "email" : pair[0] === "phone" ? "tel" : "text";
        input.autocomplete = { name: "name", email: "email", phone: "tel", organization: "organization" }[pair[0]];
        if (pair[0] === "phone") input.pattern = "[0-9 +().\\-]{6,30}";
        f.appendChild(label); f.appendChild(input);
      });
      var go = el("button", "ll-submit", "Send details");
      go.type = "submit";
      f.appendChild(go);
      f.onsubmit = function (e) {
        e.preventDefault();
        if (!f.reportValidity()) return; /* checked here, and again on the server */
        var fields = {};
        p.fields.forEach(function (pair) { fields[pair[0]] = f.elements[pair[0]].value; });
        submit({ fields: fields });
      };
    }
    f.appendChild(error);
    promptBox.appendChild(f);
  }

  /* The event stream; EventSource sends Last-Event-ID itself when it reconnects. */
  function listen(after) {
    if (stream) return;
    stream = new EventSource("/api/visitor/events?c=" + encodeURIComponent(saved.conversation) +
      "&t=" + encodeURIComponent(saved.token) + "&after=" + after);
    stream.addEventListener("message", function (e) {
      addMessage(JSON.parse(e.data).message);
    });
    stream.addEventListener("state", function () { refresh(); });
    stream.addEventListener("denied", function () { stream.close(); stream = null; });
    stream.onopen = function () { flush(); };
  }
  function refresh() {
    api("resume", { token: saved.token, conversation_id: saved.conversation }).then(function (v) {
      var wasOpen = !!stream;
      if (v.state === "closed" && stream) { stream.close(); stream = null; }
      render(v);
      if (!wasOpen && v.state !== "closed") listen(v.last_event_id);
    }, function () {});
  }

  /* Sending: typed messages wait in an outbox (kept across reloads) until stored. */
  function flush() {
    if (sending || !outbox.length || !view) return;
    sending = true;
    var item = outbox[0];
    api("messages", {
      token: saved.token, conversation_id: view.conversation_id,
      body: item.body, client_id: item.client_id
    }).then(function (m) {
      outbox.shift(); write(); sending = false;
      addMessage(m);
      flush();
    }, function (err) {
      sending = false;
      var row = log.querySelector('[data-client="' + item.client_id + '"] .ll-state');
      if (err && err.status && err.status !== 429 && err.status < 500) {
        outbox.shift(); write();
        if (row) { row.textContent = problem(err); row.parentNode.classList.add("ll-failed"); }
        flush();
      } else {
        if (row) row.textContent = problem(err.status ? err : null);
        setTimeout(flush, 3000);
      }
    });
  }
  form.onsubmit = function (e) {
    e.preventDefault();
    var value = text.value.trim();
    if (!value || !view) return;
    var item = { client_id: newId(), body: value };
    outbox.push(item); write();
    drawPending(item);
    text.value = "";
    flush();
  };
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  window.addEventListener("online", flush);

  q(".ll-close").onclick = function () {
    if (data.parent) parent.postMessage({ leadline: "close" }, data.parent);
  };

  function startNew() {
    log.textContent = ""; shown = {}; outbox = [];
    api("start", { key: data.key, token: saved.token, page_url: data.page }).then(render, function (err) {
      idle(problem(err));
    });
  }
  if (saved.token && saved.conversation) {
    api("resume", { token: saved.token, conversation_id: saved.conversation, page_url: data.page })
      .then(function (v) {
        render(v);
        outbox.forEach(drawPending);
        flush();
      }, function (err) {
        if (err && err.status === 404) startNew(); else idle(problem(err));
      });
  } else startNew();
})();
