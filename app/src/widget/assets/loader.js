/* Leadline widget loader: a launcher button and the chat in an iframe served by Leadline.
   Only fixed-position elements and one global name (window.Leadline): the page's layout does
   not shift and its CSS cannot reach the chat. The frame talks back by postMessage, checked
   against Leadline's exact origin and the frame's own window. */
(function (w, d) {
  var C = __LEADLINE__;
  if (w.Leadline && w.Leadline[C.k]) return;
  (w.Leadline = w.Leadline || {})[C.k] = 1;
  var href = location.href, here = location.origin, K = "leadline-" + C.k;
  try {
    navigator.sendBeacon(C.o + "/widget/seen?p=" + C.k + "&u=" + encodeURIComponent(href));
  } catch (e) {}
  /* A site not on the allow-list gets nothing (the server records it for the editor).
     Plain loops, no Array methods: the host page may have replaced them. */
  function listed(list, v) {
    for (var i = 0; i < list.length; i++) if (list[i] === v) return 1;
    return 0;
  }
  if (C.a.length && !listed(C.a, here)) return;
  function matches(u) {
    if (!C.r.length) return 1;
    for (var i = 0; i < C.r.length; i++) {
      var op = C.r[i][0], v = C.r[i][1];
      if (op == "c" ? u.indexOf(v) >= 0 : op == "e" ? u == v : u.indexOf(v) == 0) return 1;
    }
    return 0;
  }
  if (!matches(href)) return;
  function store(n) { try { return w[n]; } catch (e) {} }
  var S = store("sessionStorage"), P = store("localStorage"), V = w.visualViewport, root = d.documentElement.style;
  var frame, button, badge, bubble, open = 0, lock = null, ready = 0;
  function get(s, k) { try { return s.getItem(K + k) || ""; } catch (e) { return ""; } }
  function put(s, k, v) { try { v ? s.setItem(K + k, v) : s.removeItem(K + k); } catch (e) {} }
  /* Every declaration inline and !important, every other property reset: the host page's
     CSS (even its !important rules) cannot restyle, hide or move the launcher or the chat. */
  function css(el, s) {
    el.style.cssText = ("all:initial;" + s + ";z-index:2147483647;box-sizing:border-box;margin:0")
      .replace(/;/g, " !important;") + " !important";
  }
  function st(el, k, v) { el.style.setProperty(k, v, "important"); }
  function make(tag, parent) { var e = d.createElement(tag); (parent || d.body).appendChild(e); return e; }
  /* Only once the frame said it is ready (before, its window is not Leadline's yet). */
  function post(m) { if (ready) frame.contentWindow.postMessage(m, C.o); }
  /* A zoomed-out page (no viewport tag on a phone): the launcher and bubble keep their size. */
  function keep(el, right, bottom, k) {
    st(el, "right", right * k + "px");
    st(el, "bottom", bottom * k + "px");
    st(el, "transform", "scale(" + k + ")");
    st(el, "transform-origin", "100% 100%");
  }
  /* On a phone (under 480 px) the open chat fills the visual viewport, so an on-screen
     keyboard does not cover it (undoing a zoomed-out page's scale), and the page behind does
     not scroll. */
  function place() {
    var s = V ? V.scale : 1, vw = V ? V.width : w.innerWidth, vh = V ? V.height : w.innerHeight, small = vw * s < 480;
    if (frame) {
      css(frame, "position:fixed;border:0;background:#fff;color-scheme:normal;display:" + (open ? "block" : "none") +
        (small ? ";left:" + (V ? V.offsetLeft : 0) + "px;top:" + (V ? V.offsetTop : 0) + "px;width:" + vw * s +
          "px;height:" + vh * s + "px;transform:scale(" + 1 / s + ");transform-origin:0 0" :
          ";right:20px;bottom:92px;width:370px;height:560px;max-width:calc(100vw - 40px);" +
          "max-height:calc(100vh - 112px);border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25)"));
    }
    st(button, "display", open && small ? "none" : "flex");
    keep(button, 20, 20, s < 1 ? 1 / s : 1);
    keep(bubble, 20, 92, s < 1 ? 1 / s : 1);
    if (open && small) { if (lock == null) { lock = root.overflow; root.overflow = "hidden"; } }
    else if (lock != null) { root.overflow = lock; lock = null; }
  }
  function frameOf(hidden) {
    ready = 0;
    frame = make("iframe");
    frame.title = "Chat";
    frame.src = C.o + "/widget/frame/" + C.k + "?o=" + encodeURIComponent(here) +
      "&u=" + encodeURIComponent(href) + (hidden ? "&h=1" : "") + "#s=" + encodeURIComponent(get(P, "-keep"));
  }
  /* A speech bubble to open, a cross to close. */
  function icon() {
    button.innerHTML = '<svg style="display:block!important;width:28px!important;height:28px!important" ' +
      'viewBox="0 0 24 24" aria-hidden="true">' + (open ?
      '<path stroke="#fff" stroke-width="2.5" stroke-linecap="round" d="M6 6l12 12M18 6L6 18"/>' :
      '<path fill="#fff" d="M4 4h16v12H7l-3 3z"/>') + "</svg>";
    button.appendChild(badge);
  }
  function show(o, back) {
    open = o;
    if (o && !frame) frameOf();
    place();
    post({ leadline: o ? "show" : "hide" });
    button.setAttribute("aria-expanded", o ? "true" : "false");
    put(S, "-open", o && "1");
    icon();
    if (o) { put(P, "-chat", "1"); put(S, "-greeted", "1"); say(0); frame.focus(); }
    else { say(+badge.textContent); if (back) button.focus(); }
  }
  /* The unread count on the launcher and a preview beside it (n = 0 clears both). */
  function say(n, text) {
    badge.textContent = n || "";
    st(badge, "display", n ? "block" : "none");
    button.setAttribute("aria-label", open ? "Close chat" : "Open chat" + (n ? " (" + n + " unread)" : ""));
    st(bubble, "display", text && !open ? "block" : "none");
    bubble.firstChild.textContent = text || "";
  }
  w.addEventListener("message", function (e) {
    var m = e.data;
    if (e.origin !== C.o || !frame || e.source !== frame.contentWindow || !m) return;
    if (m.leadline == "close") show(0, 1);
    if (m.leadline == "ready") { ready = 1; post({ leadline: open ? "show" : "hide" }); }
    if (m.leadline == "unread" && !open) say(m.n, m.n && m.text);
    if (m.leadline == "live" || m.leadline == "done") put(P, "-chat", m.leadline == "live" && "1");
    /* A browser that gives the frame no storage of its own (third-party storage blocked):
       the frame's conversation is kept here, on the page's own site, and handed back. */
    if (m.leadline == "keep" && typeof m.v == "string" && m.v.length < 1e5) put(P, "-keep", m.v);
  });
  d.addEventListener("keydown", function (e) {
    if (e.key == "Escape" && open) show(0, 1);
  });
  function start() {
    button = make("button");
    button.type = "button";
    css(button, "position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;" +
      "padding:0;cursor:pointer;align-items:center;justify-content:center;" +
      "box-shadow:0 4px 14px rgba(0,0,0,.3);background:" + C.c);
    button.onclick = function () { show(!open); };
    badge = make("span", button);
    badge.setAttribute("aria-hidden", "true");
    icon();
    css(badge, "position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;" +
      "background:#d92d20;color:#fff;font:700 13px/22px system-ui,sans-serif;text-align:center");
    bubble = make("div");
    css(bubble, "position:fixed;right:20px;bottom:92px;max-width:min(280px,calc(100vw - 40px));padding:12px 34px 12px 14px;" +
      "border-radius:12px;background:#fff;color:#1d2433;box-shadow:0 4px 20px rgba(0,0,0,.2);" +
      "font:14px/1.4 system-ui,sans-serif;cursor:pointer;text-align:left");
    bubble.setAttribute("role", "status");
    var say1 = make("button", bubble);
    say1.type = "button";
    css(say1, "border:0;background:none;padding:0;font:inherit;color:inherit;text-align:left;cursor:pointer");
    say1.onclick = function () { show(1); };
    var x = make("button", bubble);
    x.type = "button";
    x.textContent = "\u00d7";
    x.setAttribute("aria-label", "Close preview");
    css(x, "position:absolute;top:4px;right:4px;border:0;background:none;font:20px/1 system-ui,sans-serif;color:#5b6475;cursor:pointer;padding:4px");
    x.onclick = function () { say(+badge.textContent); put(S, "-greeted", "1"); };
    if (V) V.addEventListener("resize", place), V.addEventListener("scroll", place);
    w.addEventListener("resize", place);
    say(0);
    if (get(S, "-open")) show(1);
    else {
      /* A conversation in this browser: keep it live (hidden) so a reply shows as unread. */
      if (get(P, "-chat")) frameOf(1);
      place();
      /* "Delay before it opens": the first bot message, once per visit until dismissed. */
      if (C.g) setTimeout(function () {
        if (!open && !get(S, "-greeted") && !get(P, "-chat")) say(0, C.g);
      }, C.d * 1000);
    }
  }
  d.body ? start() : d.addEventListener("DOMContentLoaded", start);
})(window, document);
