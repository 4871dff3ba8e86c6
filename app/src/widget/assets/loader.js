/* Leadline widget loader: a launcher button and, on open, the chat in an iframe served by
   Leadline. Everything lives in one namespace (window.Leadline) and fixed-position elements,
   so the page's layout does not shift and the page's CSS cannot reach the chat. */
(function (w, d) {
  var C = __LEADLINE__;
  if (w.Leadline && w.Leadline[C.k]) return;
  var L = (w.Leadline = w.Leadline || {});
  L[C.k] = 1;
  var href = location.href;
  try {
    navigator.sendBeacon(C.o + "/widget/seen?p=" + C.k + "&u=" + encodeURIComponent(href));
  } catch (e) {}
  function matches(u) {
    if (!C.r.length) return 1;
    for (var i = 0; i < C.r.length; i++) {
      var op = C.r[i][0], v = C.r[i][1];
      if (op == "c" ? u.indexOf(v) >= 0 : op == "e" ? u == v : u.indexOf(v) == 0) return 1;
    }
    return 0;
  }
  if (!matches(href)) return;
  var store = w.sessionStorage, KEY = "leadline-open-" + C.k, frame, button;
  function css(el, s) {
    el.style.cssText = s;
  }
  function show(open) {
    if (open && !frame) {
      frame = d.createElement("iframe");
      frame.title = "Chat";
      frame.src = C.o + "/widget/frame/" + C.k + "?o=" + encodeURIComponent(location.origin) +
        "&u=" + encodeURIComponent(location.href);
      css(frame, "position:fixed;right:20px;bottom:92px;width:370px;height:560px;" +
        "max-width:calc(100vw - 40px);max-height:calc(100vh - 112px);border:0;" +
        "border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);background:#fff;" +
        "z-index:2147483647;color-scheme:normal");
      d.body.appendChild(frame);
    }
    if (frame) frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.setAttribute("aria-label", open ? "Close chat" : "Open chat");
    try {
      open ? store.setItem(KEY, "1") : store.removeItem(KEY);
    } catch (e) {}
  }
  w.addEventListener("message", function (e) {
    if (e.origin === C.o && frame && e.source === frame.contentWindow &&
        e.data && e.data.leadline === "close") show(0);
  });
  function start() {
    button = d.createElement("button");
    button.type = "button";
    button.innerHTML = '<svg width="28" height="28" viewBox="0 0 24 24" aria-hidden="true"><path fill="#fff" d="M4 4h16v12H7l-3 3z"/></svg>';
    css(button, "position:fixed;right:20px;bottom:20px;width:60px;height:60px;" +
      "border-radius:50%;border:0;padding:0;margin:0;cursor:pointer;display:flex;" +
      "align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.3);" +
      "z-index:2147483647;background:" + C.c);
    button.onclick = function () {
      show(!frame || frame.style.display == "none");
    };
    d.body.appendChild(button);
    var wasOpen = 0;
    try {
      wasOpen = store.getItem(KEY);
    } catch (e) {}
    show(!!wasOpen);
  }
  function ready() {
    if (d.body) start();
    else d.addEventListener("DOMContentLoaded", start);
  }
  C.d ? setTimeout(ready, C.d * 1000) : ready();
})(window, document);
