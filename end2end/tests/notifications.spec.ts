import { test, expect, Page, request as playwrightRequest, APIRequestContext } from '@playwright/test';
import { signInAdmin, admin, logIn, open, watchConsole, activeLiveChatPlaybook, setOnline } from './helpers';

// Desktop notifications (F5): the permission bar, one notification per event however many
// tabs are open, a switched-off kind not shown, a click opening the conversation, the tab
// title's count. `window.Notification` is replaced by a recorder in these browsers.

const nora = { name: 'Nora Agent', email: 'nora@example.com', password: 'nora-password' };

type Shown = { title: string; body: string; tag: string };

/** Records every `new Notification(...)` of the page in `window.__shown`; permission granted. */
const recorder = () => {
  const shown: unknown[] = [];
  (window as any).__shown = shown;
  class Recorded {
    static permission = 'granted';
    static requestPermission() { return Promise.resolve('granted'); }
    onclick: (() => void) | null = null;
    constructor(title: string, options: { body?: string; tag?: string } = {}) {
      shown.push({ title, body: options.body ?? '', tag: options.tag ?? '' });
      (window as any).__last = this;
    }
    close() {}
  }
  (window as any).Notification = Recorded;
};

async function shown(page: Page): Promise<Shown[]> {
  if (page.isClosed()) return [];
  return page.evaluate(() => ((window as any).__shown ?? []) as Shown[]);
}

async function allShown(pages: Page[]): Promise<Shown[]> {
  return (await Promise.all(pages.map(shown))).flat();
}

async function visitorStarts(api: APIRequestContext, key: string): Promise<{ id: string; token: string }> {
  const r = await api.post('/api/visitor/start', { data: { key, page_url: 'https://shop.example/pricing' } });
  expect(r.ok()).toBeTruthy();
  const v = await r.json();
  expect(v.state).toBe('waiting');
  return { id: v.conversation_id, token: v.token };
}

async function visitorSays(api: APIRequestContext, c: { id: string; token: string }, body: string) {
  const r = await api.post('/api/visitor/messages', {
    data: { token: c.token, conversation_id: c.id, body, client_id: `${body}-${Date.now()}` },
  });
  expect(r.ok()).toBeTruthy();
}

function waitingCount(title: string): number {
  const m = title.match(/^\((\d+)\) Live Chat/);
  return m ? Number(m[1]) : 0;
}

test('the permission bar asks only from a click, and a refusal is explained instead of asked again', async ({ browser }) => {
  const context = await browser.newContext();
  // A browser whose answer is "Block", remembered as a real one remembers it.
  await context.addInitScript(() => {
    (window as any).__asked = 0;
    Object.defineProperty(Notification, 'permission', {
      get: () => localStorage.getItem('test-permission') ?? 'default',
    });
    Notification.requestPermission = (() => {
      (window as any).__asked += 1;
      localStorage.setItem('test-permission', 'denied');
      return Promise.resolve('denied');
    }) as typeof Notification.requestPermission;
  });
  const page = await context.newPage();
  const errors: string[] = [];
  watchConsole(page, errors);
  await signInAdmin(page);
  await activeLiveChatPlaybook(page.request);
  await open(page, '/inbox');
  const bar = page.getByRole('region', { name: 'Desktop notifications' });
  const ask = bar.getByRole('button', { name: 'Turn on desktop notifications' });
  await expect(ask).toBeVisible();
  expect(await page.evaluate(() => (window as any).__asked)).toBe(0);
  await ask.click();
  await expect(bar).toContainText('Desktop notifications are blocked');
  expect(await page.evaluate(() => (window as any).__asked)).toBe(1);
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.getByRole('region', { name: 'Desktop notifications' })).toContainText('blocked');
  await expect(page.getByRole('button', { name: 'Turn on desktop notifications' })).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__asked)).toBe(0);
  expect(errors).toEqual([]);
  await context.close();
});

test('one notification per event with two tabs, none for a kind switched off, a click opens the conversation', async ({ browser }) => {
  const errors: string[] = [];
  const context = await browser.newContext({ permissions: ['notifications'] });
  await context.addInitScript(recorder);
  const tab1 = await context.newPage();
  watchConsole(tab1, errors);
  await signInAdmin(tab1);
  const key = await activeLiveChatPlaybook(tab1.request);
  await setOnline(tab1.request, true);
  const added = await tab1.request.post('/api/users/add', {
    form: { name: nora.name, email: nora.email, password: nora.password, role: 'regular' },
  });
  expect([200, 422]).toContain(added.status());
  const users = await (await tab1.request.post('/api/users/list', { form: {} })).json();
  const adminId = users.find((u: { email: string }) => u.email === admin.email).id;

  await open(tab1, '/inbox');
  const tab2 = await context.newPage();
  watchConsole(tab2, errors);
  await open(tab2, '/inbox');
  const tabs = [tab1, tab2];
  const before = waitingCount(await tab1.title());

  // A visitor asks for a chat: one "New conversation" notification across both tabs.
  const visitorApi = await playwrightRequest.newContext({ baseURL: new URL(tab1.url()).origin });
  const chat = await visitorStarts(visitorApi, key);
  await expect.poll(async () => (await allShown(tabs)).length).toBe(1);
  const [first] = await allShown(tabs);
  expect(first.title).toContain('New conversation');
  expect(first.body).toContain('shop.example/pricing');
  expect(first.tag).toBe(chat.id);
  // The tab title counts it.
  await expect.poll(async () => waitingCount(await tab1.title())).toBe(before + 1);

  // Nora takes it and hands it to the admin: "Assigned to you", once.
  const noraContext = await browser.newContext();
  const noraPage = await noraContext.newPage();
  await logIn(noraPage, nora.email, nora.password);
  await expect(noraPage.getByRole('button', { name: 'Log out' })).toBeVisible();
  expect((await noraPage.request.post('/api/inbox/assign', { form: { id: chat.id } })).ok()).toBeTruthy();
  expect((await noraPage.request.post('/api/inbox/reassign', { form: { id: chat.id, to: adminId } })).ok()).toBeTruthy();
  await expect.poll(async () => (await allShown(tabs)).length).toBe(2);
  expect((await allShown(tabs))[1].title).toContain('Assigned to you');

  // The visitor writes: "… wrote", with the message.
  await visitorSays(visitorApi, chat, 'Is anyone there?');
  await expect.poll(async () => (await allShown(tabs)).length).toBe(3);
  const third = (await allShown(tabs))[2];
  expect(third.body).toBe('Is anyone there?');

  // All three were shown by the same tab; clicking the last opens the conversation there.
  const leader = (await shown(tab1)).length === 3 ? tab1 : tab2;
  expect((await shown(leader)).length).toBe(3);
  await leader.evaluate(() => (window as any).__last.onclick());
  await expect(leader).toHaveURL(new RegExp(`c=${chat.id}`));
  await expect(leader.getByRole('list', { name: 'Transcript' }).getByText('Is anyone there?')).toBeVisible();

  // Looking at it in the focused tab: no notification for its next message.
  await leader.bringToFront();
  expect(await leader.evaluate(() => document.hasFocus())).toBe(true);
  await visitorSays(visitorApi, chat, 'Still here');
  await expect(leader.getByRole('list', { name: 'Transcript' }).getByText('Still here')).toBeVisible();
  await leader.waitForTimeout(300);
  expect((await allShown(tabs)).length).toBe(3);

  // "New conversation in Unassigned" switched off in My settings: a new chat shows none.
  const other = leader === tab1 ? tab2 : tab1;
  await open(other, '/my-settings');
  const newSwitch = other.getByRole('switch', { name: 'New conversation in Unassigned' });
  await expect(newSwitch).toBeChecked();
  await newSwitch.uncheck();
  await expect(other.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  const counted = waitingCount(await leader.title());
  await visitorStarts(visitorApi, key);
  await expect.poll(async () => waitingCount(await leader.title())).toBe(counted + 1);
  await leader.waitForTimeout(300);
  expect((await allShown(tabs)).length).toBe(3);
  // Back on for the other tests, and it takes effect at once.
  await newSwitch.check();
  await expect(other.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  await visitorStarts(visitorApi, key);
  await expect.poll(async () => (await allShown(tabs)).length).toBe(4);

  await setOnline(tab1.request, false);
  // Playwright's contexts are incognito ones, where Chromium itself logs that it has no Push
  // API (and the page carries on without it).
  expect(errors.filter((e) => !e.includes('does not support the Push API in incognito'))).toEqual([]);
  await visitorApi.dispose();
  await noraContext.close();
  await context.close();
});

test('Company settings: an admin turns a kind off for everyone; a user cannot turn it back on', async ({ page, browser }) => {
  await signInAdmin(page);
  await open(page, '/settings');
  const notifications = page.getByRole('region', { name: 'Notifications' });
  const assigned = notifications.getByRole('switch', { name: 'Conversation assigned to you' });
  await expect(assigned).toBeChecked();
  await assigned.uncheck();
  await expect(notifications.getByRole('status')).toHaveText('Saved');
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.getByRole('region', { name: 'Notifications' }).getByRole('switch', { name: 'Conversation assigned to you' })).not.toBeChecked();

  const added = await page.request.post('/api/users/add', {
    form: { name: nora.name, email: nora.email, password: nora.password, role: 'regular' },
  });
  expect([200, 422]).toContain(added.status());
  const noraContext = await browser.newContext();
  const noraPage = await noraContext.newPage();
  await logIn(noraPage, nora.email, nora.password);
  await expect(noraPage.getByRole('button', { name: 'Log out' })).toBeVisible();
  await noraPage.getByRole('link', { name: 'My settings' }).click();
  await expect(noraPage.getByRole('heading', { name: 'My settings' })).toBeVisible();
  const hers = noraPage.getByRole('switch', { name: 'Conversation assigned to you' });
  await expect(hers).not.toBeChecked();
  await expect(hers).toBeDisabled();
  await expect(noraPage.getByText('Turned off for the whole company by an admin.')).toBeVisible();
  await noraPage.getByLabel('Sound').selectOption({ label: 'Chime' });
  await expect(noraPage.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  await noraPage.reload();
  await expect(noraPage.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(noraPage.getByLabel('Sound')).toHaveValue('chime');
  // A regular user has no Company settings.
  expect((await noraPage.request.post('/api/settings/company/notifications/switch', { form: { kind: 'assigned', on: 'true' } })).status()).toBe(403);

  // Back on for the other tests.
  await page.getByRole('region', { name: 'Notifications' }).getByRole('switch', { name: 'Conversation assigned to you' }).check();
  await expect(page.getByRole('region', { name: 'Notifications' }).getByRole('status')).toHaveText('Saved');
  await noraContext.close();
});

test('Web Push: the service worker shows a pushed notification with the conversation as its tag', async ({ browser }) => {
  const context = await browser.newContext({ permissions: ['notifications'] });
  const page = await context.newPage();
  await signInAdmin(page);
  await open(page, '/inbox');
  const scope = await page.evaluate(async () => {
    const r = await navigator.serviceWorker.register('/sw.js');
    await navigator.serviceWorker.ready;
    return r.scope;
  });
  // Chromium delivers a push message to the worker as a push service would (no network).
  const cdp = await context.newCDPSession(page);
  const registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => registrations.push(...e.registrations));
  await cdp.send('ServiceWorker.enable');
  const current = () => registrations.filter((r) => r.scopeURL === scope && !r.isDeleted).at(-1);
  await expect.poll(() => current() !== undefined).toBe(true);
  const notice = {
    kind: 'message', conversation_id: 'c-push', title: 'Ann wrote', body: 'Are you open on Sunday?',
    url: '/inbox?folder=mine&c=c-push',
  };
  const shownBySw = () => page.evaluate(async () => {
    const r = await navigator.serviceWorker.ready;
    return (await r.getNotifications()).map((n) => `${n.title}|${n.body}|${n.tag}`);
  });
  // Delivered again until the worker (just activated) has shown it.
  await expect.poll(async () => {
    const shown = await shownBySw();
    if (shown.length === 0) {
      await cdp.send('ServiceWorker.deliverPushMessage', {
        origin: new URL(scope).origin, registrationId: current()!.registrationId, data: JSON.stringify(notice),
      }).catch(() => {});
    }
    return shown;
  }, { timeout: 20_000, intervals: [500] }).toContain('Ann wrote|Are you open on Sunday?|c-push');
  await context.close();
});

test('the tab title counts what waits for the user as the inbox loads, before any event', async ({ page }) => {
  const errors: string[] = [];
  watchConsole(page, errors);
  await signInAdmin(page);
  const key = await activeLiveChatPlaybook(page.request);
  await setOnline(page.request, true);
  const visitorApi = await playwrightRequest.newContext({ baseURL: new URL(page.url()).origin });
  await visitorStarts(visitorApi, key);
  await visitorStarts(visitorApi, key);
  await open(page, '/inbox');
  const folders = page.getByRole('navigation', { name: 'Folders' });
  const count = async (name: string) =>
    Number(await folders.getByRole('link', { name }).locator('.count').innerText());
  const waiting = (await count('Unassigned')) + (await count('My conversations'));
  expect(waiting).toBeGreaterThanOrEqual(2);
  // No event arrives meanwhile: the count comes from the page as loaded.
  await expect(page).toHaveTitle(`(${waiting}) Live Chat · Leadline`);
  expect(errors).toEqual([]);
  await visitorApi.dispose();
});
