import { test, expect, Page, FrameLocator } from '@playwright/test';
import {
  signInAdmin, admin, open, logIn, hostSite, activeLiveChatPlaybook, liveChatPlaybook, openChat,
  conversationOf, setOnline, visitorAt,
} from './helpers';

// The chat a customer expects (issue "No visitor lost, no agent confused"): the visitor is never
// left at a dead end, a reply is never missed, the widget works on a phone and by keyboard.

let site: Awaited<ReturnType<typeof hostSite>>;

test.beforeAll(async () => {
  site = await hostSite();
});

test.afterAll(async () => {
  await site.close();
});

function launcher(visitor: Page) {
  return visitor.getByRole('button', { name: /^(Open|Close) chat/ });
}

/** Whether the last message of the chat is fully inside the visible part of its scroller. */
async function newestInView(chat: FrameLocator) {
  return chat.locator('.ll-scroll').evaluate((scroller) => {
    const rows = scroller.querySelectorAll('.ll-msg');
    const last = rows[rows.length - 1];
    if (!last) return false;
    const box = scroller.getBoundingClientRect();
    const row = last.getBoundingClientRect();
    return row.top >= box.top - 1 && row.bottom <= box.bottom + 1 && row.height > 0;
  });
}

test('nobody online: the template asks for details, confirms, and the missed chat is still answered', async ({ browser, page }) => {
  const errors: string[] = [];
  await signInAdmin(page);
  const api = page.request;
  site.key = await activeLiveChatPlaybook(api);
  await setOnline(api, false);

  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/pricing`, errors);
  const chat = await openChat(visitor);
  await expect(chat.getByText('Leave your details and we will get back to you.')).toBeVisible();
  // Something to do: a form for the details and the message (the composer waits meanwhile).
  await chat.getByLabel('Name').fill('Nadia');
  await chat.getByLabel('Email').fill('nadia@example.com');
  await chat.getByLabel('Phone').fill('+62 812 3456 7890');
  await chat.getByLabel('Message').fill('Do you ship to Bali?');
  await chat.getByRole('button', { name: 'Send details' }).click();
  await expect(chat.getByText('Thanks, we will get back to you at nadia@example.com.')).toBeVisible();
  // Then the visitor can still write, in an empty box (the message went with the details).
  await expect(chat.getByRole('textbox', { name: 'Message' })).toBeVisible();
  await expect(chat.getByRole('textbox', { name: 'Message' })).toHaveValue('');
  const id = await conversationOf(visitor, site.key);
  await expect
    .poll(async () => (await (await api.post('/api/inbox/conversation', { form: { id } })).json()).conversation.crm_kind)
    .toBe('lead');

  // The agent finds it in Unassigned, marked Missed, under the visitor's name; takes it, answers.
  await open(page, '/inbox');
  const row = page.locator('.conversation', { hasText: 'Nadia' }).first();
  await expect(row).toContainText('Missed');
  await row.click();
  await expect(page.getByRole('heading', { name: 'Nadia', level: 2 })).toBeVisible();
  await expect(page.locator('.chat-meta')).toContainText('Missed');
  await expect(page.getByRole('button', { name: 'Close conversation' })).toBeEnabled();
  await page.getByRole('button', { name: 'Assign to me' }).click();
  await expect(page.getByText(`Assigned to ${admin.name}`)).toBeVisible();
  await page.getByLabel('Message').fill('Yes, we ship to Bali!');
  await page.getByLabel('Message').press('Enter');
  await expect(chat.getByText('Yes, we ship to Bali!')).toBeVisible();
  await expect(chat.getByRole('heading', { name: admin.name })).toBeVisible();
  // The lead was made once.
  const d = await (await api.post('/api/inbox/conversation', { form: { id } })).json();
  expect(d.conversation.state).toBe('assigned');
  expect(d.conversation.missed_at).toBeTruthy();
  expect(errors).toEqual([]);
  await vContext.close();
});

test('a missed chat taken before the visitor left details: the visitor answers in the composer', async ({ browser, page }) => {
  const errors: string[] = [];
  await signInAdmin(page);
  const api = page.request;
  site.key = await activeLiveChatPlaybook(api);
  await setOnline(api, false);

  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/`, errors);
  const chat = await openChat(visitor);
  await expect(chat.getByRole('button', { name: 'Send details' })).toBeVisible();
  // The visitor starts writing their message into the form…
  await chat.getByLabel('Message', { exact: true }).fill('I need a visa letter');
  const id = await conversationOf(visitor, site.key);
  expect((await api.post('/api/inbox/assign', { form: { id } })).ok()).toBeTruthy();
  expect((await api.post('/api/inbox/send', { form: { id, body: 'Sorry for the wait, how can I help?' } })).ok()).toBeTruthy();
  await expect(chat.getByText(`${admin.name} joined the conversation`)).toBeVisible();
  await expect(chat.getByText('Sorry for the wait, how can I help?')).toBeVisible();
  // The agent is here: the details form gives way to the composer, and one "Message" field.
  await expect(chat.getByRole('button', { name: 'Send details' })).toHaveCount(0);
  // …and it is not lost: it moved to the composer, ready to send.
  await expect(chat.getByLabel('Message', { exact: true })).toHaveValue('I need a visa letter');
  await chat.getByLabel('Message', { exact: true }).press('Enter');
  await expect
    .poll(async () => (await (await api.post('/api/inbox/conversation', { form: { id } })).json()).messages.map((m: any) => m.body))
    .toContain('I need a visa letter');
  expect(errors).toEqual([]);
  await vContext.close();
});

test('a reply while the chat is closed shows a count and a preview, also after a reload', async ({ browser, page }) => {
  const errors: string[] = [];
  await signInAdmin(page);
  const api = page.request;
  site.key = await activeLiveChatPlaybook(api);
  await setOnline(api, true);

  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/`, errors);
  const chat = await openChat(visitor);
  await expect(chat.getByText('One of our team will join this chat in a moment.')).toBeVisible();
  // Focus moves into the chat when it opens, and back to the launcher when it closes.
  await expect(chat.getByRole('textbox', { name: 'Message' })).toBeFocused();
  const id = await conversationOf(visitor, site.key);
  expect((await api.post('/api/inbox/assign', { form: { id } })).ok()).toBeTruthy();
  await expect(chat.getByText(`${admin.name} joined the conversation`)).toBeVisible();
  await chat.getByRole('button', { name: 'Close chat' }).click();
  await expect(visitor.locator('iframe[title="Chat"]')).toBeHidden();
  await expect(visitor.getByRole('button', { name: 'Open chat', exact: true })).toBeFocused();

  // A reply while closed: a count on the launcher and a preview beside it.
  expect((await api.post('/api/inbox/send', { form: { id, body: 'Your quote is ready' } })).ok()).toBeTruthy();
  await expect(visitor.getByRole('button', { name: 'Open chat (1 unread)' })).toBeVisible();
  await expect(visitor.getByRole('button', { name: 'Your quote is ready' })).toBeVisible();
  expect((await api.post('/api/inbox/send', { form: { id, body: 'Shall I send it?' } })).ok()).toBeTruthy();
  await expect(visitor.getByRole('button', { name: 'Open chat (2 unread)' })).toBeVisible();
  await expect(visitor.getByRole('button', { name: 'Shall I send it?' })).toBeVisible();

  // Coming back to the site in the same browser: the count is still there.
  await visitor.reload();
  await expect(visitor.getByRole('button', { name: 'Open chat (2 unread)' })).toBeVisible();
  // Opening clears it; the newest message is in view, above the composer.
  await visitor.getByRole('button', { name: 'Shall I send it?' }).click();
  const again = visitor.frameLocator('iframe[title="Chat"]');
  await expect(again.getByText('Shall I send it?')).toBeVisible();
  await expect(visitor.getByRole('button', { name: 'Close chat' })).toBeVisible();
  await expect(visitor.getByRole('button', { name: /unread/ })).toHaveCount(0);
  await expect(visitor.getByRole('button', { name: 'Shall I send it?' })).toBeHidden();
  await expect.poll(() => newestInView(again)).toBe(true);
  // Escape closes it (from inside the chat).
  await again.getByRole('textbox', { name: 'Message' }).press('Escape');
  await expect(visitor.locator('iframe[title="Chat"]')).toBeHidden();
  await expect(launcher(visitor)).toBeFocused();
  // Nothing unread now, after a reload too.
  await visitor.reload();
  await expect(visitor.getByRole('button', { name: 'Open chat', exact: true })).toBeVisible();
  await visitor.waitForTimeout(1_000);
  await expect(visitor.getByRole('button', { name: /unread/ })).toHaveCount(0);
  // Once the conversation is closed, later pages load no chat until it is opened again.
  await expect(visitor.locator('iframe[title="Chat"]')).toHaveCount(1);
  expect((await api.post('/api/inbox/close', { form: { id } })).ok()).toBeTruthy();
  await expect
    .poll(() => visitor.evaluate((k) => localStorage.getItem(`leadline-${k}-chat`), site.key))
    .toBeNull();
  await visitor.reload();
  await expect(visitor.getByRole('button', { name: 'Open chat', exact: true })).toBeVisible();
  await expect(visitor.locator('iframe[title="Chat"]')).toHaveCount(0);
  expect(errors).toEqual([]);
  await vContext.close();
});

test('after the delay the first bot message shows beside the launcher, until closed for the visit', async ({ browser, page }) => {
  await signInAdmin(page);
  site.key = await activeLiveChatPlaybook(page.request, { delay_seconds: 2 });
  const errors: string[] = [];
  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/`, errors);
  const started = Date.now();
  await expect(visitor.getByRole('button', { name: 'Open chat', exact: true })).toBeVisible();
  const greeting = visitor.getByRole('button', { name: 'Hi there! 👋 How can we help you today?' });
  await expect(greeting).toBeVisible();
  expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
  await visitor.getByRole('button', { name: 'Close preview' }).click();
  await expect(greeting).toBeHidden();
  // The next page of the same visit: it does not come back.
  await visitor.getByRole('link', { name: 'Next page' }).click();
  await expect(visitor.getByRole('heading', { name: 'Pricing' })).toBeVisible();
  await visitor.waitForTimeout(3_000);
  await expect(greeting).toBeHidden();
  await vContext.close();

  // A new visit: the greeting again; clicking it opens the chat.
  const { context: other, visitor: next } = await visitorAt(browser, `${site.origin}/`, errors);
  await next.getByRole('button', { name: 'Hi there! 👋 How can we help you today?' }).click();
  const chat = next.frameLocator('iframe[title="Chat"]');
  await expect(chat.getByText('How can we help you today?')).toBeVisible();
  expect(errors).toEqual([]);
  await other.close();
});

test('a site not on the allow-list gets no launcher, and the editor says it tried', async ({ browser, page }) => {
  await signInAdmin(page);
  const api = page.request;
  const playbook = await liveChatPlaybook(api, { allowed_sites: ['https://shop.example.com'] });
  site.key = playbook.key;
  const errors: string[] = [];
  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/`, errors);
  await visitor.waitForTimeout(2_000);
  await expect(visitor.getByRole('button', { name: /chat/i })).toHaveCount(0);
  await expect(visitor.locator('iframe')).toHaveCount(0);
  expect(errors).toEqual([]);
  await vContext.close();

  await open(page, `/chatbot/${playbook.id}`);
  await expect(page.getByText(`Loaded from a site that is not allowed: ${site.origin}`)).toBeVisible();
});

test('on a phone the open chat fills the screen, the page stays put, and it closes clearly', async ({ browser, page }) => {
  await signInAdmin(page);
  site.key = await activeLiveChatPlaybook(page.request);
  await setOnline(page.request, false);
  const errors: string[] = [];
  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/`, errors, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  await visitor.evaluate(() => { document.body.style.height = '3000px'; });
  const chat = await openChat(visitor);
  await expect(chat.getByText('Leave your details')).toBeVisible();
  const frame = visitor.locator('iframe[title="Chat"]');
  expect(await frame.boundingBox()).toEqual({ x: 0, y: 0, width: 390, height: 844 });
  // The page behind does not scroll.
  expect(await visitor.evaluate(() => getComputedStyle(document.documentElement).overflow)).toBe('hidden');
  // The capture form (the phone field's pattern is valid: no console error) keeps its question in view;
  // it says what may stay empty.
  await expect(chat.getByLabel('Phone', { exact: true })).toBeVisible();
  await expect(chat.getByLabel('Phone', { exact: true })).toHaveAccessibleDescription('(optional)');
  await expect(chat.getByLabel('Email')).toHaveAttribute('required', '');
  await expect(chat.getByText('Leave your details')).toBeInViewport();
  // An on-screen keyboard shrinks the visual viewport: the chat follows it.
  await visitor.setViewportSize({ width: 390, height: 500 });
  await expect.poll(async () => (await frame.boundingBox())?.height).toBe(500);
  await visitor.setViewportSize({ width: 390, height: 844 });
  // A clear close control.
  await chat.getByRole('button', { name: 'Close chat' }).click();
  await expect(frame).toBeHidden();
  expect(await visitor.evaluate(() => getComputedStyle(document.documentElement).overflow)).not.toBe('hidden');
  await expect(launcher(visitor)).toBeVisible();
  expect(errors).toEqual([]);
  await vContext.close();
});

test('messages show their time and their links open in a new tab', async ({ browser, page }) => {
  await signInAdmin(page);
  const api = page.request;
  site.key = await activeLiveChatPlaybook(api);
  await setOnline(api, true);
  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/`, [], { timezoneId: 'Asia/Jakarta' });
  const chat = await openChat(visitor);
  await expect(chat.getByText('One of our team will join')).toBeVisible();
  const id = await conversationOf(visitor, site.key);
  expect((await api.post('/api/inbox/assign', { form: { id } })).ok()).toBeTruthy();
  expect((await api.post('/api/inbox/send', { form: { id, body: 'Our offer: https://acme.example/offer?x=1. Enjoy' } })).ok()).toBeTruthy();
  const link = chat.getByRole('link', { name: 'https://acme.example/offer?x=1' });
  await expect(link).toHaveAttribute('href', 'https://acme.example/offer?x=1');
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', 'noopener nofollow ugc');
  // The time in the visitor's own zone (Jakarta is UTC+7).
  const row = chat.locator('.ll-msg', { hasText: 'Our offer' });
  const stamp = row.locator('time');
  const iso = await stamp.getAttribute('datetime');
  const jakarta = new Date(Date.parse(iso!) + 7 * 3600_000);
  const h = jakarta.getUTCHours();
  const hh = `0?(${h}|${h % 12 || 12})`;
  const mm = String(jakarta.getUTCMinutes()).padStart(2, '0');
  await expect(stamp).toHaveText(new RegExp(`^${hh}.${mm}`));
  // A visitor's link, in the agent's transcript: clickable, plain text otherwise. It is
  // written while the agent's page loads (its event stream held back until the message is
  // stored): the tab's stream starts where the page was read, so it still arrives.
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/api/events*', async (route) => {
    await held;
    await route.continue();
  });
  await open(page, `/inbox?folder=mine&c=${id}`);
  await chat.getByRole('textbox', { name: 'Message' }).fill('Mine is www.nadia.example <b>not bold</b>');
  await chat.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect
    .poll(async () => (await api.post('/api/inbox/conversation', { form: { id } })).text())
    .toContain('www.nadia.example');
  release();
  const transcript = page.getByRole('list', { name: 'Transcript' });
  await expect(transcript.getByRole('link', { name: 'www.nadia.example' })).toHaveAttribute('href', 'https://www.nadia.example');
  await expect(transcript.getByText('<b>not bold</b>')).toBeVisible();
  await vContext.close();
});

test('the home page lists the first steps and ticks each one done', async ({ browser, page }) => {
  await signInAdmin(page);
  site.key = await activeLiveChatPlaybook(page.request);
  await setOnline(page.request, true);
  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/`);
  await expect(visitor.getByRole('button', { name: 'Open chat', exact: true })).toBeVisible();
  await vContext.close();
  await open(page, '/');
  const steps = page.getByRole('region', { name: 'Get started' });
  await expect(steps).toContainText('3 of 3 steps done');
  for (const name of ['Create a playbook', 'Paste the snippet into your website', 'Go online to take chats']) {
    await expect(steps.getByRole('listitem').filter({ hasText: name })).toContainText('(done)');
  }
  await setOnline(page.request, false);
  await page.reload();
  await expect(steps.getByRole('listitem').filter({ hasText: 'Go online to take chats' })).toContainText('(to do)');
  await steps.getByRole('link', { name: 'Go online to take chats' }).click();
  await expect(page).toHaveURL(/\/inbox$/);
});

test('an agent on a phone reads a conversation full screen and goes back to the list', async ({ browser, page }) => {
  await signInAdmin(page);
  site.key = await activeLiveChatPlaybook(page.request);
  await setOnline(page.request, true);
  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/`);
  const chat = await openChat(visitor);
  await chat.getByRole('textbox', { name: 'Message' }).fill('Hello from a phone test');
  await chat.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(chat.getByText('Hello from a phone test')).toBeVisible();

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const agent = await phone.newPage();
  await agent.context().addCookies(await page.context().cookies());
  await open(agent, '/inbox');
  const row = agent.locator('.conversation', { hasText: 'Hello from a phone test' });
  await row.click();
  // The conversation fills the screen: its title, its actions and the newest message in view.
  await expect(agent.getByRole('button', { name: 'Assign to me' })).toBeInViewport();
  await expect(agent.getByRole('list', { name: 'Transcript' }).getByText('Hello from a phone test')).toBeInViewport();
  await expect(agent.getByRole('navigation', { name: 'Folders' })).toBeHidden();
  expect(await agent.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await agent.getByRole('link', { name: '← All conversations' }).click();
  await expect(agent.getByRole('navigation', { name: 'Folders' })).toBeVisible();
  await expect(row).toBeVisible();
  // The editor fits the screen too.
  await open(agent, '/chatbot');
  await agent.locator('table.playbooks a').first().click();
  await expect(agent.getByLabel('Chatbot name')).toBeVisible();
  expect(await agent.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await phone.close();
  await vContext.close();
});

test('an agent looking at a conversation someone else takes is sent back to the list, told why', async ({ browser, page }) => {
  await signInAdmin(page);
  const api = page.request;
  const dan = { name: 'Dan Agent', email: 'dan@example.com', password: 'dan-password' };
  const added = await api.post('/api/users/add', { form: { ...dan, role: 'regular' } });
  expect([200, 422]).toContain(added.status());
  site.key = await activeLiveChatPlaybook(api);
  await setOnline(api, true);
  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/`);
  const chat = await openChat(visitor);
  await expect(chat.getByText('One of our team will join')).toBeVisible();
  const id = await conversationOf(visitor, site.key);

  const dContext = await browser.newContext();
  const d = await dContext.newPage();
  await logIn(d, dan.email, dan.password);
  await expect(d.getByRole('button', { name: 'Log out' })).toBeVisible();
  await open(d, `/inbox?folder=unassigned&c=${id}`);
  await expect(d.getByRole('button', { name: 'Assign to me' })).toBeVisible();
  expect((await api.post('/api/inbox/assign', { form: { id } })).ok()).toBeTruthy();
  await expect(d.getByRole('status').filter({ hasText: 'Someone else has this conversation now.' })).toBeVisible();
  await expect(d).toHaveURL(/\/inbox\?folder=unassigned$/);
  await expect(d.getByText('does not exist')).toHaveCount(0);
  await dContext.close();
  await vContext.close();
});

test('a chat that cannot start says why and offers to try again', async ({ browser, page }) => {
  await signInAdmin(page);
  site.key = await activeLiveChatPlaybook(page.request);
  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/`);
  let refused = 0;
  await vContext.route('**/api/visitor/start', (route) => {
    refused++;
    return route.fulfill({ status: 429, contentType: 'application/json',
      body: JSON.stringify({ TooManyRequests: 'Too many messages at once. Wait a moment and try again.' }) });
  });
  const chat = await openChat(visitor);
  await expect(chat.getByText('Too many messages at once. Wait a moment and try again.')).toBeVisible();
  expect(refused).toBe(1);
  await vContext.unroute('**/api/visitor/start');
  await chat.getByRole('button', { name: 'Try again' }).click();
  await expect(chat.getByText('How can we help you today?')).toBeVisible();
  await expect(chat.getByText('Too many messages at once')).toHaveCount(0);
  await vContext.close();
});

test('on a phone page made before phones the launcher keeps its size and the chat fills the screen', async ({ browser, page }) => {
  await signInAdmin(page);
  site.key = await activeLiveChatPlaybook(page.request);
  const errors: string[] = [];
  const { context: vContext, visitor } = await visitorAt(browser, `${site.origin}/old`, errors,
    { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const onScreen = () => visitor.evaluate(() => {
    const b = document.querySelector('button[aria-label^="Open chat"], button[aria-label="Close chat"]')!;
    return { scale: visualViewport!.scale, width: Math.round(b.getBoundingClientRect().width * visualViewport!.scale) };
  });
  await expect(visitor.getByRole('button', { name: 'Open chat', exact: true })).toBeVisible();
  const closed = await onScreen();
  expect(closed.scale).toBeLessThan(0.9);
  expect(closed.width).toBe(60);
  const chat = await openChat(visitor);
  await expect(chat.getByText('How can we help you today?')).toBeVisible();
  const box = await visitor.locator('iframe[title="Chat"]').evaluate((f) => {
    const r = f.getBoundingClientRect();
    return Math.round(r.width * visualViewport!.scale);
  });
  expect(box).toBe(390);
  expect(errors).toEqual([]);
  await vContext.close();
});
