import { expect, Page } from '@playwright/test';

/** Opens `path` and waits until the app has hydrated (the body gets data-hydrated). */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
}

export async function logIn(page: Page, email: string, password: string) {
  await open(page, '/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** Fails the test on any error in the browser console or an uncaught exception. */
export function watchConsole(page: Page, errors: string[]) {
  page.on('console', (m) => {
    // A refused form (4xx) is an expected answer, shown to the user; anything else is a defect.
    const expected = /Failed to load resource: the server responded with a status of 4\d\d/;
    if (m.type() === 'error' && !expected.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
}

export const admin = { email: 'ada@example.com', password: 'admin-password', name: 'Ada Admin' };

/** Signs in as the first admin, running setup first if this server is fresh. */
export async function signInAdmin(page: Page) {
  await open(page, '/');
  if (page.url().endsWith('/setup')) {
    await page.getByLabel('Company name').fill('Acme Travel');
    await page.getByLabel('Name', { exact: true }).fill(admin.name);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Create company' }).click();
  } else if (page.url().endsWith('/login')) {
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
}

import http from 'node:http';
import { AddressInfo } from 'node:net';
import type { APIRequestContext, Browser, BrowserContextOptions, FrameLocator } from '@playwright/test';

/** A customer's website on another origin (its own port): two pages with the snippet of `key`.
 *  On `localhost` it is also another site than Leadline's 127.0.0.1 (a third-party frame). */
export async function hostSite(hostname = '127.0.0.1') {
  const leadline = `http://127.0.0.1:${process.env.E2E_PORT ?? '3107'}`;
  const site = { origin: '', key: '', close: async () => {} };
  const page = (title: string, other: string, viewport = true) => `<!doctype html><html><head><title>${title}</title>
${viewport ? '<meta name="viewport" content="width=device-width, initial-scale=1">' : ''}</head><body>
<h1>${title}</h1><p><a href="${other}">Next page</a></p>
<script src="${leadline}/widget/loader.js?p=${site.key}"></script></body></html>`;
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    // `/old`: a page made before phones (no viewport tag: a phone shows it zoomed out).
    res.end(req.url?.startsWith('/pricing') ? page('Pricing', '/')
      : req.url?.startsWith('/old') ? page('Old shop', '/', false) : page('Shop home', '/pricing'));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  site.origin = `http://${hostname}:${(server.address() as AddressInfo).port}`;
  site.close = () => new Promise<void>((done) => server.close(() => done()));
  return site;
}

/** An active playbook from the Live Chat template (bot name "Leadbot", then `overrides` of its
 *  settings); returns its key. */
export async function activeLiveChatPlaybook(
  api: APIRequestContext,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  return (await liveChatPlaybook(api, overrides)).key;
}

/** The same, with its id (for its editor page, `/chatbot/ID`). */
export async function liveChatPlaybook(
  api: APIRequestContext,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; key: string }> {
  const created = await api.post('/api/playbooks/create', { form: { template: 'live_chat' } });
  expect(created.ok()).toBeTruthy();
  const id = await created.json();
  const p = await (await api.post('/api/playbooks/get', { form: { id } })).json();
  const settings = { ...p.settings, active: true, bot_name: 'Leadbot', ...overrides };
  const saved = await api.post('/api/playbooks/save', {
    data: { id, version: p.version, settings, cards: p.cards },
  });
  expect(saved.ok()).toBeTruthy();
  return { id, key: p.key };
}

/** Clicks the launcher on a host page; the chat frame. */
export async function openChat(visitor: Page): Promise<FrameLocator> {
  await visitor.getByRole('button', { name: 'Open chat' }).click();
  return visitor.frameLocator('iframe[title="Chat"]');
}

/** The conversation id the visitor's chat frame keeps. */
export async function conversationOf(visitor: Page, key: string): Promise<string> {
  const frame = visitor.frames().find((f) => f.url().includes('/widget/frame/'));
  const saved = await frame!.evaluate((k) => localStorage.getItem(`leadline:${k}`), key);
  return JSON.parse(saved!).conversation;
}

/** Turns the signed-in user's "Online" toggle on or off through the API. */
export async function setOnline(api: APIRequestContext, online: boolean) {
  expect((await api.post('/api/inbox/online', { form: { online: String(online) } })).ok()).toBeTruthy();
}

/** A visitor in a browser of their own on `url`, its console watched into `errors`. */
export async function visitorAt(browser: Browser, url: string, errors: string[] = [], options: BrowserContextOptions = {}) {
  const context = await browser.newContext(options);
  const visitor = await context.newPage();
  watchConsole(visitor, errors);
  await visitor.goto(url);
  return { context, visitor };
}
