/* Leadline chat frame. The server decides what comes next; this script draws it, sends what
   the visitor types (with client ids, so a retry is stored once), and follows the
   conversation's event stream (which resumes by Last-Event-ID after a drop). The loader on the
   host page shows and hides the frame; while hidden, new replies are reported to it as an
   unread count and a preview. */
(function () {
  "use strict";
  var body = document.body, data = body.dataset;
  var KEY = "leadline:" + data.key;
  var scroller = q(".ll-scroll"), log = q(".ll-log"), promptBox = q(".ll-prompt"), note = q(".ll-note");
  var form = q(".ll-compose"), text = q("#ll-text"), title = q(".ll-name");
  var own = local(), saved = read(), view = null, stream = null, shown = {}, outbox = saved.outbox || [];
  var sending = false, starting = false;
  /* Hidden: the loader made this frame to keep a conversation live while the chat is closed. */
  var visible = !/[?&]h=1/.test(location.search), unread = 0, preview = "";
  var LINK = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;
  form.remove();

  if (/^#[0-9a-f]{6}$/i.test(data.accent || "")) body.style.setProperty("--accent", data.accent);

  function q(s) { return document.querySelector(s); }
  /* Where the conversation is kept: this frame's own storage, or, when the browser gives a
     third-party frame none (Chromium with third-party storage blocked, private windows), the
     loader's on the host page: it hands what it keeps back in this frame's address (#s=). */
  function local() {
    try { localStorage.setItem(KEY + ":t", "1"); localStorage.removeItem(KEY + ":t"); return localStorage; }
    catch (e) { return null; }
  }
  function read() {
    try {
      var kept = /^#s=(.+)$/.exec(location.hash);
      return JSON.parse(own ? own.getItem(KEY) : kept && decodeURIComponent(kept[1])) || {};
    } catch (e) { return {}; }
  }
  function write() {
    var v = JSON.stringify({
      token: saved.token, conversation: saved.conversation, outbox: outbox, seen: saved.seen || 0
    });
    if (own) { try { own.setItem(KEY, v); } catch (e) {} }
    else toParent({ leadline: "keep", v: v });
  }
  function el(tag, cls, textContent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (textContent != null) e.textContent = textContent;
    return e;
  }
  function toParent(message) {
    if (data.parent && window.parent !== window) parent.postMessage(message, data.parent);
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

  /* Plain text with its web links clickable; never HTML. */
  function linked(target, s) {
    var at = 0, m;
    LINK.lastIndex = 0;
    while ((m = LINK.exec(s))) {
      var url = m[0].replace(/[.,;:!?)\]']+$/, "");
      target.appendChild(document.createTextNode(s.slice(at, m.index)));
      var a = el("a", null, url);
      a.href = /^www\./i.test(url) ? "https://" + url : url;
      a.target = "_blank";
      a.rel = "noopener nofollow ugc";
      target.appendChild(a);
      at = m.index + url.length;
      LINK.lastIndex = at;
    }
    target.appendChild(document.createTextNode(s.slice(at)));
  }
  /* The visitor's own clock, e.g. 14:05. */
  function stamp(iso) {
    var t = el("time", "ll-at");
    var d = new Date(iso);
    if (!isNaN(d)) {
      t.dateTime = iso;
      t.textContent = d.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
      t.title = d.toLocaleString();
    }
    return t;
  }
  function plain(m) {
    if (!m.html) return m.body;
    var div = el("div");
    div.innerHTML = m.body; /* sanitized by the server; never attached to the page */
    return div.textContent;
  }

  /* The newest message in sight (after the layout settles); while a card waits for an answer,
     its question stays in view above the form however tall the form is. */
  function scroll() {
    requestAnimationFrame(function () {
      var bottom = scroller.scrollHeight - scroller.clientHeight, asked = log.lastElementChild;
      scroller.scrollTop = promptBox.firstChild && asked ? Math.min(bottom, asked.offsetTop - 8) : bottom;
    });
  }

  /* Replies that came while the chat was closed: a count and a preview for the loader. */
  function report() {
    toParent({ leadline: "unread", n: unread, text: preview });
  }
  function seenAll() {
    var top = 0;
    for (var s in shown) top = Math.max(top, +s);
    if (top > (saved.seen || 0)) { saved.seen = top; write(); }
    if (unread) { unread = 0; preview = ""; report(); }
  }

  /* Messages, once each (by number); a pending bubble is replaced by its stored message. */
  function addMessage(m) {
    if (shown[m.seq]) return;
    var pending = m.client_id && log.querySelector('[data-client="' + m.client_id + '"]');
    var row = el("div", "ll-msg ll-" + m.author + (m.client_id ? " ll-typed" : ""));
    var bubble = el("div", "message-bubble message-body");
    if (m.html) bubble.innerHTML = m.body; /* sanitized by the server (allow-list) */
    else linked(bubble, m.body);
    if (m.author === "agent" && m.name) row.appendChild(el("span", "ll-who", m.name));
    row.appendChild(bubble);
    if (m.author !== "system") row.appendChild(stamp(m.created_at));
    row.dataset.seq = m.seq;
    shown[m.seq] = row;
    if (pending) pending.replaceWith(row);
    else {
      var next = null;
      for (var s in shown) if (+s > m.seq && shown[s] !== row && (!next || +s < +next.dataset.seq)) next = shown[s];
      log.insertBefore(row, next && next.parentNode === log ? next : firstPending());
    }
    if (visible) seenAll();
    else if (m.seq > (saved.seen || 0) && (m.author === "agent" || m.author === "bot")) {
      unread++;
      preview = plain(m).slice(0, 140);
      report();
    }
    scroll();
  }
  function firstPending() { return log.querySelector(".ll-pending"); }

  /* The composer is in the page only while it is the thing to do (one "Message" field). */
  function compose(on) {
    if (on) { form.hidden = false; body.appendChild(form); } else form.remove();
  }

  function drawPending(item) {
    var row = el("div", "ll-msg ll-visitor ll-pending");
    row.dataset.client = item.client_id;
    row.appendChild(el("div", "message-bubble message-body", item.body));
    row.appendChild(el("span", "ll-state", "Sending…"));
    log.appendChild(row);
    scroll();
  }

  function again(label, then) {
    var b = el("button", "ll-again", label || "Start a new conversation");
    b.type = "button";
    b.onclick = function () { b.remove(); idle(""); (then || startNew)(); };
    promptBox.textContent = "";
    promptBox.appendChild(b);
  }

  function render(v) {
    view = v;
    saved.token = v.token;
    saved.conversation = v.conversation_id;
    write();
    title.textContent = v.agent_name || data.bot;
    v.messages.forEach(addMessage);
    /* Once someone has joined (a missed chat taken later too), the visitor just talks: a card
       the offline flow still waits on gives way to the composer. */
    var prompt = v.state === "assigned" ? null : v.prompt;
    drawPrompt(prompt);
    var closed = v.state === "closed";
    /* Always something to do: the card to answer, a message to write, or a new start. */
    compose(!prompt && ["waiting", "assigned", "unassigned", "missed"].indexOf(v.state) >= 0);
    /* The loader keeps a hidden frame on later pages only while there is something to follow. */
    toParent({ leadline: closed ? "done" : "live" });
    if (closed) {
      idle("This conversation has been closed.");
      again();
      if (stream) { stream.close(); stream = null; }
    } else {
      idle("");
      if (!prompt && v.state === "bot") again();
      listen(v.last_event_id);
    }
    scroll();
  }

  /* The card on screen ("card|kind"): drawn again only when it changes, so a state change
     while the visitor types into it (a timer, an agent's action) keeps what they typed. */
  var drawn = null;
  function drawPrompt(p) {
    var key = p ? p.card_id + "|" + p.kind : null;
    if (key && key === drawn && promptBox.firstChild) return;
    drawn = key;
    /* A card that gives way to the composer (an agent joined) hands over the message the
       visitor was writing into it. */
    var typed = promptBox.querySelector('textarea[name="message"],input[name="answer"]');
    var carried = typed ? typed.value.trim() : "";
    promptBox.textContent = "";
    if (!p) {
      if (carried && !text.value) text.value = carried;
      return;
    }
    var f = el("form", "ll-answer");
    var error = el("p", "ll-error");
    error.setAttribute("role", "alert");
    function submit(payload) {
      if (data.preview) return;
      payload.token = saved.token;
      payload.conversation_id = view.conversation_id;
      payload.card_id = p.card_id;
      error.textContent = "";
      Array.prototype.forEach.call(f.querySelectorAll("button,input,textarea"), function (b) { b.disabled = true; });
      /* Answered: the card goes with what was typed into it (nothing to carry). */
      api("answer", payload).then(function (v) { promptBox.textContent = ""; drawn = null; render(v); }, function (err) {
        Array.prototype.forEach.call(f.querySelectorAll("button,input,textarea"), function (b) { b.disabled = false; });
        var field = err && err.Validation && err.Validation.field;
        var input = field && f.querySelector('[name="' + field + '"]');
        if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
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
        var id = "ll-field-" + pair[0], optional = (p.optional || []).indexOf(pair[0]) >= 0;
        /* The field is named by its label alone ("Phone"); "(optional)" describes it. */
        var head = el("div", "ll-label"), label = el("label", null, pair[1]);
        label.htmlFor = id;
        head.appendChild(label);
        var input = el(pair[0] === "message" ? "textarea" : "input");
        input.id = id; input.name = pair[0]; input.required = !optional;
        if (optional) {
          var hint = el("span", "ll-optional", " (optional)");
          hint.id = id + "-hint";
          head.appendChild(hint);
          input.setAttribute("aria-describedby", hint.id);
        }
        if (pair[0] === "message") {
          input.rows = 3; input.maxLength = 2000;
          /* What the visitor already typed to the team (not a card's answer), so they need
             not type it again. */
          var mine = log.querySelectorAll(".ll-visitor.ll-typed .message-body");
          if (mine.length) input.value = mine[mine.length - 1].textContent;
        }
        else input.type = pair[0] === "email" ? "email" : pair[0] === "phone" ? "tel" : "text";
        input.autocomplete = { name: "name", email: "email", phone: "tel", organization: "organization" }[pair[0]] || "off";
        if (pair[0] === "phone") {
          input.pattern = "[0-9 +\\(\\)\\.\\-]{6,30}";
          input.title = "A phone number, like +62 812 3456 7890";
          input.placeholder = "+62 812 3456 7890";
        }
        input.oninput = function () { input.removeAttribute("aria-invalid"); };
        f.appendChild(head); f.appendChild(input);
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
    scroll();
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
      if (v.state === "closed" && stream) { stream.close(); stream = null; }
      render(v);
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
  window.addEventListener("resize", scroll);

  /* Closing: the close control and Escape ask the loader to hide the chat. */
  q(".ll-close").onclick = function () { toParent({ leadline: "close" }); };
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") toParent({ leadline: "close" });
  });

  /* The first control the visitor needs: the composer, the card's first field, or close. */
  function focusFirst() {
    var target = form.isConnected ? text : promptBox.querySelector("input,textarea,button") || q(".ll-close");
    try { target.focus({ preventScroll: true }); } catch (e) {}
  }

  /* The loader says when the chat is shown and hidden (exact origin and window checks). */
  window.addEventListener("message", function (e) {
    if (!data.parent || e.origin !== data.parent || e.source !== window.parent || !e.data) return;
    if (e.data.leadline === "show") {
      visible = true;
      if (!view) begin();
      seenAll();
      scroll();
      focusFirst();
    } else if (e.data.leadline === "hide") visible = false;
  });

  function startNew() {
    log.textContent = ""; shown = {}; outbox = []; saved.seen = 0; drawn = null;
    api("start", { key: data.key, token: saved.token, page_url: data.page }).then(function (v) {
      render(v);
      if (visible) focusFirst();
    }, function (err) {
      /* Offline or too busy: say so, and leave a way on. */
      idle(problem(err));
      again("Try again", startNew);
    });
  }
  function begin() {
    if (starting) return;
    starting = true;
    if (saved.token && saved.conversation) {
      api("resume", { token: saved.token, conversation_id: saved.conversation, page_url: data.page })
        .then(function (v) {
          render(v);
          outbox.forEach(drawPending);
          flush();
          if (visible) focusFirst();
        }, function (err) {
          starting = false;
          if (err && err.status === 404) {
            saved = { token: saved.token }; write();
            if (visible) begin();
          } else {
            idle(problem(err));
            again("Try again", begin);
          }
        });
    } else startNew();
  }
  /* The editor's preview: draws what the editor posts (the unsaved playbook), sends nothing. */
  if (data.preview) {
    var avatar = q(".ll-avatar");
    window.addEventListener("message", function (e) {
      if (e.origin !== data.parent || e.source !== window.parent || !e.data || e.data.leadline !== "preview") return;
      var p = JSON.parse(e.data.view);
      title.textContent = p.bot;
      if (/^#[0-9a-f]{6}$/i.test(p.accent)) body.style.setProperty("--accent", p.accent);
      avatar.hidden = !p.avatar;
      if (p.avatar) avatar.src = "/uploads/" + encodeURIComponent(p.avatar);
      log.textContent = ""; shown = {};
      p.messages.forEach(function (html, i) { addMessage({ seq: i + 1, author: "bot", html: true, body: html }); });
      drawn = null;
      drawPrompt(p.prompt);
      compose(!p.prompt && ["waiting", "missed"].indexOf(p.state) >= 0);
    });
    toParent({ leadline: "ready" });
    return;
  }
  /* Hidden with nothing to follow: wait until the chat is opened. */
  if (visible || (saved.token && saved.conversation)) begin();
  toParent({ leadline: "ready" });
})();
