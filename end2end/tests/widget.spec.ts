import { test, expect } from '@playwright/test';
import {
  open, signInAdmin, admin, watchConsole, hostSite, activeLiveChatPlaybook, openChat, conversationOf, setOnline,
} from './helpers';

// A customer's website on another origin (another port) with the snippet pasted in, a visitor
// on it, and an agent acting through the agent API (the inbox page has its own tests).

let site: Awaited<ReturnType<typeof hostSite>>;

test.beforeAll(async () => {
  site = await hostSite();
});

test.afterAll(async () => {
  await site.close();
});

test('a visitor on another site talks to the bot, then to an agent, across pages', async ({ browser, page }) => {
  const errors: string[] = [];
  await signInAdmin(page);
  const api = page.request;
  site.key = await activeLiveChatPlaybook(api);
  await setOnline(api, true);

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  watchConsole(visitor, errors);
  await visitor.goto(`${site.origin}/`);
  const chat = await openChat(visitor);
  await expect(chat.getByRole('heading', { name: 'Leadbot' })).toBeVisible();
  await expect(chat.getByText('How can we help you today?')).toBeVisible();
  await expect(chat.getByText('One of our team will join this chat in a moment.')).toBeVisible();

  // The agent finds it in Unassigned and takes it.
  const id = await conversationOf(visitor, site.key);
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
    .toBe(`${site.origin}/pricing`);
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

test('on a site of its own, with no storage for the frame, the chat survives reloads and pages', async ({ browser, page }) => {
  // A third-party frame often gets no storage (Chromium blocking third-party storage, private
  // windows): here the frame's localStorage always refuses, as such a browser's does.
  const other = await hostSite('localhost');
  const leadline = `http://127.0.0.1:${process.env.E2E_PORT ?? '3107'}`;
  try {
    const errors: string[] = [];
    await signInAdmin(page);
    const api = page.request;
    other.key = await activeLiveChatPlaybook(api);
    await setOnline(api, true);
    const context = await browser.newContext();
    await context.addInitScript((origin) => {
      if (location.origin !== origin) return;
      Object.defineProperty(window, 'localStorage', {
        get() { throw new DOMException('Access is denied for this document.', 'SecurityError'); },
      });
    }, leadline);
    const visitor = await context.newPage();
    watchConsole(visitor, errors);
    await visitor.goto(`${other.origin}/`);
    const chat = await openChat(visitor);
    await expect(chat.getByText('One of our team will join this chat in a moment.')).toBeVisible();

    const ours = async () => {
      const all = [];
      for (const folder of ['unassigned', 'mine']) {
        const list = await (await api.post('/api/inbox/list', { form: { folder } })).json();
        all.push(...list.filter((c: any) => (c.conversation.page_url ?? '').startsWith(other.origin)));
      }
      return all.map((c: any) => c.conversation.id);
    };
    await expect.poll(ours).toHaveLength(1);
    const [id] = await ours();
    expect((await api.post('/api/inbox/assign', { form: { id } })).ok()).toBeTruthy();
    expect((await api.post('/api/inbox/send', { form: { id, body: 'Hello across sites' } })).ok()).toBeTruthy();
    await expect(chat.getByText('Hello across sites')).toBeVisible();
    await chat.getByLabel('Message').fill('Kept on the host page');
    await chat.getByLabel('Message').press('Enter');
    await expect(chat.getByText('Kept on the host page')).toBeVisible();

    // A reload and another page: the same conversation, with the agent in the header.
    for (const go of [() => visitor.reload(), () => visitor.getByRole('link', { name: 'Next page' }).click()]) {
      await go();
      const again = visitor.frameLocator('iframe[title="Chat"]');
      await expect(again.getByText('Hello across sites')).toBeVisible();
      await expect(again.getByText('Kept on the host page')).toHaveCount(1);
      await expect(again.getByRole('heading', { name: admin.name })).toBeVisible();
    }
    expect(await ours()).toEqual([id]);
    // What the loader keeps for the frame is on the host page's own storage.
    const kept = await visitor.evaluate((k) => localStorage.getItem(`leadline-${k}-keep`), other.key);
    expect(JSON.parse(kept!).conversation).toBe(id);
    expect(errors).toEqual([]);
    await context.close();
  } finally {
    await other.close();
  }
});

test('with nobody online the visitor gets the offline message and a lead is created', async ({ browser, page }) => {
  const errors: string[] = [];
  await signInAdmin(page);
  const api = page.request;
  site.key = await activeLiveChatPlaybook(api);
  await setOnline(api, false);

  const visitorContext = await browser.newContext();
  const visitor = await visitorContext.newPage();
  watchConsole(visitor, errors);
  await visitor.goto(`${site.origin}/pricing`);
  const chat = await openChat(visitor);
  await expect(chat.getByText('Sorry, nobody is available right now.')).toBeVisible();
  await expect(chat.getByText('One of our team will join')).toHaveCount(0);
  // The offline flow asks for details; the lead is made with them.
  await chat.getByLabel('Name').fill('Vera');
  await chat.getByLabel('Email').fill('vera@example.com');
  await chat.getByLabel('Phone').fill('+62 812 0000 1111');
  await chat.getByLabel('Message').fill('Call me back please');
  await chat.getByRole('button', { name: 'Send details' }).click();
  await expect(chat.getByText('Thanks, we will get back to you at vera@example.com.')).toBeVisible();
  const id = await conversationOf(visitor, site.key);
  await expect
    .poll(async () => (await (await api.post('/api/inbox/conversation', { form: { id } })).json()).conversation.crm_kind)
    .toBe('lead');
  expect(errors).toEqual([]);
  await visitorContext.close();

  // The lead is on the Leads page (F4.3), found by the visitor's email, and links back to
  // its conversation.
  await open(page, '/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Leads', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Leads', level: 1 })).toBeVisible();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await page.getByLabel('Search').fill('VERA@example.com');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=VERA%40example.com/);
  const rows = page.getByRole('table', { name: 'Leads' }).getByRole('row').filter({ hasText: 'vera@example.com' });
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText('Vera');
  await page.getByLabel('Search').fill('nobody-like-this');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByText('No leads yet.', { exact: false })).toBeVisible();
  await page.goBack();
  await page.getByRole('table', { name: 'Leads' }).getByRole('row').filter({ hasText: 'vera@example.com' })
    .getByRole('link', { name: 'Open conversation' }).click();
  await expect(page).toHaveURL(new RegExp(`c=${id}`));
  await expect(page.getByRole('heading', { name: 'Vera', level: 2 })).toBeVisible();
});

test('the loader shows only where its rules match, greets after its delay, in one namespace, shifting nothing', async ({ browser, page }) => {
  await signInAdmin(page);
  site.key = await activeLiveChatPlaybook(page.request, {
    rules: [{ op: 'contains', value: '/pricing' }],
    delay_seconds: 2,
  });
  const visitorContext = await browser.newContext();
  // Before any script of the page: the window's own names, and when the launcher appears.
  await visitorContext.addInitScript(() => {
    const w = window as any;
    w[Symbol.for('names')] = Object.getOwnPropertyNames(window);
    new MutationObserver(() => {
      if (!w[Symbol.for('greeted')] && document.body && document.body.innerText.includes('How can we help you today?')) {
        w[Symbol.for('greeted')] = performance.now();
      }
    }).observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
  });
  const visitor = await visitorContext.newPage();
  const errors: string[] = [];
  watchConsole(visitor, errors);

  // A page the rules do not match: no launcher, even after the delay.
  await visitor.goto(`${site.origin}/`);
  await visitor.waitForTimeout(3_000);
  await expect(visitor.getByRole('button', { name: 'Open chat' })).toHaveCount(0);

  // A page they match: the launcher at once, and the greeting once the delay has passed.
  await visitor.getByRole('link', { name: 'Next page' }).click();
  await expect(visitor.getByRole('heading', { name: 'Pricing' })).toBeVisible();
  const boxes = async () => ({
    heading: await visitor.getByRole('heading', { name: 'Pricing' }).boundingBox(),
    link: await visitor.getByRole('link', { name: 'Next page' }).boundingBox(),
    height: await visitor.evaluate(() => document.documentElement.scrollHeight),
  });
  const before = await boxes();
  await expect(visitor.getByRole('button', { name: 'Open chat' })).toBeVisible();
  await expect(visitor.getByRole('button', { name: /How can we help you today/ })).toBeVisible();
  const greetedAt = await visitor.evaluate(() => (window as any)[Symbol.for('greeted')]);
  expect(greetedAt).toBeGreaterThanOrEqual(2_000);

  // Open, the chat works; the page's own content has not moved.
  const chat = await openChat(visitor);
  await expect(chat.getByText('How can we help you today?')).toBeVisible();
  expect(await boxes()).toEqual(before);

  // One global name added: the Leadline namespace (window[0] is the iframe itself, which any
  // frame on a page gets, not a variable).
  const added = await visitor.evaluate(() => {
    const names = new Set((window as any)[Symbol.for('names')] as string[]);
    return Object.getOwnPropertyNames(window).filter((n) => !names.has(n) && !/^\d+$/.test(n));
  });
  expect(added).toEqual(['Leadline']);
  expect(errors).toEqual([]);
  await visitorContext.close();
});
