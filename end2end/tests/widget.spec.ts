import { test, expect, Page, APIRequestContext, FrameLocator } from '@playwright/test';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { signInAdmin, admin, watchConsole } from './helpers';

// A customer's website on another origin (another port) with the snippet pasted in, a visitor
// on it, and an agent acting through the agent API (the inbox page comes with its own issue).

let host: http.Server;
let hostOrigin = '';
let key = '';

function page(title: string, other: string): string {
  const leadline = `http://127.0.0.1:${process.env.E2E_PORT ?? '3107'}`;
  return `<!doctype html><html><head><title>${title}</title></head><body>
<h1>${title}</h1><p><a href="${other}">Next page</a></p>
<script src="${leadline}/widget/loader.js?p=${key}"></script></body></html>`;
}

test.beforeAll(async () => {
  host = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(req.url?.startsWith('/pricing') ? page('Pricing', '/') : page('Shop home', '/pricing'));
  });
  await new Promise<void>((done) => host.listen(0, '127.0.0.1', done));
  hostOrigin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((done) => host.close(done));
});

async function activeLiveChatPlaybook(api: APIRequestContext): Promise<string> {
  const created = await api.post('/api/playbooks/create', { form: { template: 'live_chat' } });
  expect(created.ok()).toBeTruthy();
  const id = await created.json();
  const p = await (await api.post('/api/playbooks/get', { form: { id } })).json();
  const settings = { ...p.settings, active: true, bot_name: 'Leadbot' };
  const saved = await api.post('/api/playbooks/save', {
    data: { id, version: p.version, settings, cards: p.cards },
  });
  expect(saved.ok()).toBeTruthy();
  return p.key;
}

async function openChat(visitor: Page): Promise<FrameLocator> {
  await visitor.getByRole('button', { name: 'Open chat' }).click();
  return visitor.frameLocator('iframe[title="Chat"]');
}

async function conversationOf(visitor: Page): Promise<string> {
  const frame = visitor.frames().find((f) => f.url().includes('/widget/frame/'));
  const saved = await frame!.evaluate((k) => localStorage.getItem(`leadline:${k}`), key);
  return JSON.parse(saved!).conversation;
}

test('a visitor on another site talks to the bot, then to an agent, across pages', async ({ browser, page }) => {
  const errors: string[] = [];
  await signInAdmin(page);
  const api = page.request;
  key = await activeLiveChatPlaybook(api);
  expect((await api.post('/api/inbox/online', { form: { online: 'true' } })).ok()).toBeTruthy();

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  watchConsole(visitor, errors);
  await visitor.goto(`${hostOrigin}/`);
  const chat = await openChat(visitor);
  await expect(chat.getByRole('heading', { name: 'Leadbot' })).toBeVisible();
  await expect(chat.getByText('How can we help you today?')).toBeVisible();
  await expect(chat.getByText('One of our team will join this chat in a moment.')).toBeVisible();

  // The agent finds it in Unassigned and takes it.
  const id = await conversationOf(visitor);
  const unassigned = await (await api.post('/api/inbox/list', { form: { folder: 'unassigned' } })).json();
  expect(unassigned.map((c: any) => c.conversation.id)).toContain(id);
  expect((await api.post('/api/inbox/assign', { form: { id } })).ok()).toBeTruthy();
  await expect(chat.getByText(`${admin.name} joined the conversation`)).toBeVisible();
  await expect(chat.getByRole('heading', { name: admin.name })).toBeVisible();

  // Messages both ways, live.
  expect((await api.post('/api/inbox/send', { form: { id, body: 'Hello from Ada', client_id: 'e2e-1' } })).ok()).toBeTruthy();
  await expect(chat.getByText('Hello from Ada')).toBeVisible();
  await chat.getByLabel('Message').fill('I would like a quote');
  await chat.getByLabel('Message').press('Enter');
  await expect(chat.getByText('I would like a quote')).toBeVisible();
  await expect
    .poll(async () => {
      const d = await (await api.post('/api/inbox/conversation', { form: { id } })).json();
      return d.messages.map((m: any) => m.body);
    })
    .toContain('I would like a quote');

  // Typed while the connection is down: kept, and sent once it is back.
  await visitorContext.setOffline(true);
  await chat.getByLabel('Message').fill('Sent while offline');
  await chat.getByLabel('Message').press('Enter');
  await expect(chat.getByText('Sent while offline')).toBeVisible();
  await visitorContext.setOffline(false);
  await expect
    .poll(async () => {
      const d = await (await api.post('/api/inbox/conversation', { form: { id } })).json();
      return d.messages.filter((m: any) => m.body === 'Sent while offline').length;
    }, { timeout: 15_000 })
    .toBe(1);

  // Another page of the same site: the chat is still open, with the whole conversation.
  await visitor.getByRole('link', { name: 'Next page' }).click();
  await expect(visitor.getByRole('heading', { name: 'Pricing' })).toBeVisible();
  const again = visitor.frameLocator('iframe[title="Chat"]');
  await expect(again.getByText('Hello from Ada')).toBeVisible();
  await expect(again.getByText('I would like a quote')).toHaveCount(1);
  await expect(again.getByText('Sent while offline')).toHaveCount(1);
  await expect(again.getByRole('heading', { name: admin.name })).toBeVisible();
  await expect
    .poll(async () => {
      const d = await (await api.post('/api/inbox/conversation', { form: { id } })).json();
      return d.conversation.page_url;
    })
    .toBe(`${hostOrigin}/pricing`);
  expect((await api.post('/api/inbox/send', { form: { id, body: 'Still here?' } })).ok()).toBeTruthy();
  await expect(again.getByText('Still here?')).toBeVisible();

  // Closing tells the visitor.
  expect((await api.post('/api/inbox/close', { form: { id } })).ok()).toBeTruthy();
  await expect(again.getByText('This conversation has been closed.')).toBeVisible();
  await expect(again.getByRole('button', { name: 'Start a new conversation' })).toBeVisible();
  // The only errors are the failed requests of the offline minute.
  expect(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|ERR_NETWORK_CHANGED/.test(e))).toEqual([]);
  await visitorContext.close();
});

test('with nobody online the visitor gets the offline message and a lead is created', async ({ browser, page }) => {
  const errors: string[] = [];
  await signInAdmin(page);
  const api = page.request;
  key = await activeLiveChatPlaybook(api);
  expect((await api.post('/api/inbox/online', { form: { online: 'false' } })).ok()).toBeTruthy();

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  watchConsole(visitor, errors);
  await visitor.goto(`${hostOrigin}/pricing`);
  const chat = await openChat(visitor);
  await expect(chat.getByText('Sorry, nobody is available right now.')).toBeVisible();
  await expect(chat.getByText('One of our team will join')).toHaveCount(0);
  const id = await conversationOf(visitor);
  await expect
    .poll(async () => (await (await api.post('/api/inbox/conversation', { form: { id } })).json()).conversation.crm_kind)
    .toBe('lead');
  expect(errors).toEqual([]);
  await visitorContext.close();
});
