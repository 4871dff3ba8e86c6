// Leadline's service worker: shows a Web Push notification with no Leadline tab open
// (F5.2), and opens or focuses Leadline on that conversation when it is clicked.
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (e) {
  var n = null;
  try { n = e.data ? e.data.json() : null; } catch (err) { n = null; }
  if (!n || !n.title) return;
  e.waitUntil(self.registration.showNotification(n.title, {
    body: n.body || "",
    tag: n.conversation_id,
    data: { url: n.url || "/inbox" },
  }));
});

self.addEventListener("notificationclick", function (e) {
  e.notification.close();
  var url = (e.notification.data && e.notification.data.url) || "/inbox";
  e.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      var c = list[i];
      if (new URL(c.url).origin === self.location.origin && "focus" in c) {
        return c.focus().then(function (w) {
          return w && w.navigate ? w.navigate(url).catch(function () { return w; }) : w;
        });
      }
    }
    return self.clients.openWindow(url);
  }));
});
