import { test, expect } from '@playwright/test';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { signInAdmin, watchConsole, activeLiveChatPlaybook, setOnline, conversationOf } from './helpers';

// R8: a hostile host page (on the playbook's allow-list) replaces postMessage, JSON.parse and
// Array.prototype's methods, a frame from another origin inside it forges messages to the
// page and to every frame, and frames the widget itself from a site not on the allow-list.
// The visitor still chats; the page cannot read the conversation.

const leadline = `http://127.0.0.1:${process.env.E2E_PORT ?? '3107'}`;

function hostilePages(key: () => string) {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    const port = (server.address() as AddressInfo).port;
    if (req.url?.startsWith('/evil')) {
      // Served as http://localhost:PORT: another origin than the host page's 127.0.0.1.
      res.end(`<!doctype html><html><body><p>Evil frame</p>
<iframe title="Widget elsewhere" src="${leadline}/widget/frame/${key()}?o=http://localhost:${port}"></iframe>
<script>
  setInterval(function () {
    top.postMessage({ leadline: 'close' }, '*');
    top.postMessage({ leadline: 'unread', n: 99, text: 'Forged preview' }, '*');
    for (var i = 0; i < top.frames.length; i++) {
      try {
        top.frames[i].postMessage({ leadline: 'hide' }, '*');
        top.frames[i].postMessage({ leadline: 'preview', settings: {}, cards: [] }, '*');
      } catch (e) {}
    }
  }, 100);
</script></body></html>`);
      return;
    }
    res.end(`<!doctype html><html><head><title>Hostile shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  iframe { border: 9px solid red !important; opacity: .2 !important; filter: blur(3px) !important; }
  button { display: none !important; opacity: 0 !important; }
  div, span { display: none !important; }
</style></head><body>
<h1>Hostile shop</h1>
<script>
  window.__seen = [];
  var stringify = JSON.stringify;
  window.addEventListener('message', function (e) {
    window.__seen[window.__seen.length] = typeof e.data === 'string' ? e.data : stringify(e.data);
  });
  JSON.parse = function () { return { leadline: 'close' }; };
  Array.prototype.indexOf = function () { return -1; };
  Array.prototype.push = function () { throw new Error('hostile push'); };
  Array.prototype.forEach = Array.prototype.map = Array.prototype.filter = function () { throw new Error('hostile'); };
  Array.prototype.includes = function () { return false; };
  window.postMessage = function () { throw new Error('hostile postMessage'); };
</script>
<script src="${leadline}/widget/loader.js?p=${key()}"></script>
<iframe title="Evil" src="http://localhost:${port}/evil"></iframe>
</body></html>`);
  });
  return server;
}

test('a hostile host page can neither read the conversation nor break the chat', async ({ browser, page }) => {
  let key = '';
  const server = hostilePages(() => key);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  try {
    await signInAdmin(page);
    const api = page.request;
    key = await activeLiveChatPlaybook(api, { allowed_sites: [origin] });
    await setOnline(api, true);

    const context = await browser.newContext();
    const visitor = await context.newPage();
    const errors: string[] = [];
    watchConsole(visitor, errors);
    await visitor.goto(`${origin}/`);
    // The page's CSS (even !important) neither hides the launcher nor restyles the chat.
    await visitor.getByRole('button', { name: 'Open chat' }).click();
    const chat = visitor.frameLocator('iframe[title="Chat"]');
    // (Left in the DOM: the page's own Array and JSON cannot carry an answer back.)
    await visitor.locator('iframe[title="Chat"]').evaluate((f) => {
      const s = getComputedStyle(f);
      document.body.dataset.look = s.borderTopWidth + ' ' + s.opacity + ' ' + s.filter;
    });
    expect(await visitor.locator('body').getAttribute('data-look')).toBe('0px 1 none');
    await expect(chat.getByText('How can we help you today?')).toBeVisible();
    await chat.getByLabel('Message').fill('Hello despite the hostile page');
    await chat.getByLabel('Message').press('Enter');
    await expect(chat.getByText('Hello despite the hostile page')).toBeVisible();
    // Forged "close" and "hide" messages arrive ten times a second: the chat stays open.
    await visitor.waitForTimeout(1500);
    await expect(visitor.locator('iframe[title="Chat"]')).toBeVisible();
    await expect(chat.getByLabel('Message')).toBeVisible();
    await expect(visitor.getByText('Forged preview')).toHaveCount(0);
    await expect(visitor.getByRole('button', { name: /99 unread/ })).toHaveCount(0);

    // The message reached Leadline.
    const id = await conversationOf(visitor, key);
    await expect
      .poll(async () => {
        const d = await (await api.post('/api/inbox/conversation', { form: { id } })).json();
        return (d.messages ?? []).map((m: any) => m.body);
      })
      .toContain('Hello despite the hostile page');

    // The page cannot read the chat: the frame's document is closed to it, and nothing it
    // was sent carries the conversation.
    // (Run in the page, the answer is left in the DOM: the page's JSON.parse is not JSON's.)
    await visitor.evaluate(() => {
      const f = document.querySelector('iframe[title="Chat"]') as HTMLIFrameElement;
      let doc = 'closed';
      try { doc = f.contentDocument ? 'open' : 'closed'; } catch (e) { doc = 'closed'; }
      let storage = 'closed';
      try { storage = String((f.contentWindow as any).localStorage.length); } catch (e) { storage = 'closed'; }
      document.body.dataset.doc = doc;
      document.body.dataset.storage = storage;
      document.body.dataset.seen = (window as any).__seen.join('\n');
      document.body.dataset.count = String((window as any).__seen.length);
    });
    const body = visitor.locator('body');
    expect(await body.getAttribute('data-doc')).toBe('closed');
    expect(await body.getAttribute('data-storage')).toBe('closed');
    const seen = (await body.getAttribute('data-seen')) ?? '';
    expect(Number(await body.getAttribute('data-count'))).toBeGreaterThan(10);
    expect(seen).toContain('Forged preview');
    expect(seen).not.toContain('Hello despite the hostile page');
    expect(seen).not.toContain(id);

    // The widget framed from a site not on the allow-list never loads there (frame-ancestors).
    const evil = visitor.frames().find((f) => f.url().includes('/evil'));
    expect(evil).toBeTruthy();
    const inside = evil!.childFrames();
    expect(inside.length).toBe(1);
    await expect
      .poll(() => inside[0].evaluate(() => document.querySelector('.ll-compose') !== null).catch(() => false))
      .toBe(false);
    // The real chat frame does have its composer (the check above can tell).
    const real = visitor.frames().find((f) => f.url().includes('/widget/frame/') && f.parentFrame() === visitor.mainFrame());
    expect(await real!.evaluate(() => document.querySelector('.ll-compose') !== null)).toBe(true);
    // The only console errors are the frame-ancestors refusal and the page's own hostility.
    for (const e of errors) {
      expect(e).toMatch(/frame-ancestors|Refused to frame|hostile|Forged/);
    }
    await context.close();
  } finally {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
});
