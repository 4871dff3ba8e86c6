import { test, expect, Page } from '@playwright/test';
import {
  signInAdmin, admin, logIn, open, watchConsole, hostSite, activeLiveChatPlaybook, openChat,
} from './helpers';

// The Live Chat inbox with two agents and a visitor on a host page of another origin.

const bea = { name: 'Bea Agent', email: 'bea@example.com', password: 'bea-password' };
let site: Awaited<ReturnType<typeof hostSite>>;

test.beforeAll(async () => {
  site = await hostSite();
});

test.afterAll(async () => {
  await site.close();
});

function folder(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Folders' }).getByRole('link', { name });
}

function transcript(page: Page) {
  return page.getByRole('list', { name: 'Transcript' });
}

async function goOnline(page: Page) {
  const toggle = page.getByRole('switch', { name: 'Online' });
  await toggle.check();
  await expect(toggle).toBeChecked();
}

test('two agents and a visitor: take, talk, reassign, close', async ({ browser, page }) => {
  const errors: string[] = [];
  watchConsole(page, errors);
  await signInAdmin(page);
  const added = await page.request.post('/api/users/add', {
    form: { name: bea.name, email: bea.email, password: bea.password, role: 'regular' },
  });
  expect([200, 422]).toContain(added.status());
  site.key = await activeLiveChatPlaybook(page.request);

  // Agent A goes online in the inbox; agent B has the inbox open too.
  await open(page, '/inbox');
  await goOnline(page);
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.getByRole('switch', { name: 'Online' })).toBeChecked();
  const bContext = await browser.newContext();
  const b = await bContext.newPage();
  watchConsole(b, errors);
  await logIn(b, bea.email, bea.password);
  await expect(b.getByRole('button', { name: 'Log out' })).toBeVisible();
  await open(b, '/inbox');
  const before = Number(await folder(b, 'Unassigned').locator('.count').innerText());

  // The visitor reaches the Live Chat card: it appears live in both Unassigned folders.
  const vContext = await browser.newContext();
  const visitor = await vContext.newPage();
  await visitor.goto(`${site.origin}/`);
  let chat = await openChat(visitor);
  await expect(chat.getByText('One of our team will join this chat in a moment.')).toBeVisible();
  await expect(folder(page, 'Unassigned').locator('.count')).toHaveText(String(before + 1));
  await expect(folder(b, 'Unassigned').locator('.count')).toHaveText(String(before + 1));
  await expect(b.locator('.conversation').first()).toContainText('Waiting');

  // A opens it and clicks "Assign to me": it leaves B's Unassigned.
  await page.locator('.conversation').first().click();
  await expect(transcript(page).getByText('One of our team will join this chat in a moment.')).toBeVisible();
  await expect(page.locator('.visitor-page')).toHaveText(`${site.origin}/`);
  const url = page.url();
  await page.getByRole('button', { name: 'Assign to me' }).click();
  await expect(page.getByText(`Assigned to ${admin.name}`)).toBeVisible();
  await expect(folder(page, 'My conversations').locator('.count')).toHaveText(/[1-9]/);
  await expect(folder(b, 'Unassigned').locator('.count')).toHaveText(String(before));
  await expect(chat.getByText(`${admin.name} joined the conversation`)).toBeVisible();
  await expect(chat.getByRole('heading', { name: admin.name })).toBeVisible();
  // B cannot open it, even by its address.
  await open(b, url.replace(/^https?:\/\/[^/]+/, ''));
  await expect(b.getByText('assigned to someone else')).toBeVisible();

  // Messages both ways, live.
  await page.getByLabel('Message').fill('Hello, this is Ada');
  await page.getByLabel('Message').press('Enter');
  await expect(chat.getByText('Hello, this is Ada')).toBeVisible();
  await chat.getByLabel('Message').fill('Hi Ada, a question');
  await chat.getByLabel('Message').press('Enter');
  await expect(transcript(page).getByText('Hi Ada, a question')).toBeVisible();

  // The visitor moves to another page: A sees it live.
  await visitor.getByRole('link', { name: 'Next page' }).click();
  await expect(visitor.getByRole('heading', { name: 'Pricing' })).toBeVisible();
  await expect(page.locator('.visitor-page')).toHaveText(`${site.origin}/pricing`);
  chat = visitor.frameLocator('iframe[title="Chat"]');

  // What A is typing survives whatever arrives meanwhile.
  await page.getByLabel('Message').fill('half-typed');
  await chat.getByLabel('Message').fill('One more thing');
  await chat.getByLabel('Message').press('Enter');
  await expect(transcript(page).getByText('One more thing')).toBeVisible();
  await expect(page.getByLabel('Message')).toHaveValue('half-typed');
  await expect(page.getByLabel('Message')).toBeFocused();

  // A send whose answer is lost is shown as failed; "Retry" stores it once.
  let dropped = false;
  await page.route('**/api/inbox/send', async (route) => {
    if (dropped) return route.continue();
    dropped = true;
    await route.fetch(); // the server stores it, but the answer never reaches the page
    await route.abort('connectionreset');
  });
  await page.getByLabel('Message').fill('Are you still there?');
  await page.getByLabel('Message').press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'Not sent' })).toBeVisible();
  await page.getByRole('button', { name: 'Retry' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Not sent' })).toHaveCount(0);
  await expect(transcript(page).getByText('Are you still there?')).toHaveCount(1);
  await expect(chat.getByText('Are you still there?')).toHaveCount(1);
  await page.unroute('**/api/inbox/send');

  // A hands it to B through the dropdown; B finds it in My conversations and replies.
  await page.getByLabel('Assigned to').selectOption({ label: bea.name });
  // A is back in the folder, told to whom it went (not a "Not found" page).
  await expect(page.getByRole('status').filter({ hasText: `Handed to ${bea.name}` })).toBeVisible();
  await expect(page).toHaveURL(/\/inbox\?folder=unassigned$/);
  await expect(page.getByText('does not exist')).toHaveCount(0);
  await open(b, '/inbox?folder=mine');
  await expect(folder(b, 'My conversations').locator('.count')).toHaveText('1');
  await b.locator('.conversation').first().click();
  await expect(transcript(b).getByText('Hi Ada, a question')).toBeVisible();
  await b.getByLabel('Message').fill('Bea here, I can help');
  await b.getByRole('button', { name: 'Send' }).click();
  await expect(chat.getByText('Bea here, I can help')).toBeVisible();
  await expect(chat.getByRole('heading', { name: bea.name })).toBeVisible();

  // B closes it: the visitor is told; it is in Closed with its timestamp, for good.
  await b.getByRole('button', { name: 'Close conversation' }).click();
  // Closed, with its time in the reader's zone and the exact UTC time on hover.
  await expect(b.locator('.chat-meta')).toContainText('Closed');
  await expect(b.locator('.chat-meta time')).toHaveAttribute('title', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  await expect(b.locator('.chat-meta time')).not.toHaveText(/UTC/);
  await expect(chat.getByText('This conversation has been closed.')).toBeVisible();
  await open(b, '/inbox?folder=closed');
  await b.locator('.conversation').first().click();
  await expect(transcript(b).getByText('Bea here, I can help')).toBeVisible();
  await expect(b.getByRole('button', { name: 'Assign to me' })).toHaveCount(0);
  await expect(b.getByLabel('Message')).toHaveCount(0);
  const id = new URL(b.url()).searchParams.get('c')!;
  const reopen = await b.request.post('/api/inbox/assign', { form: { id } });
  expect(reopen.status()).toBe(409);
  // The only error is the answer this test cut off on purpose.
  expect(errors.filter((e) => !/ERR_CONNECTION_RESET/.test(e))).toEqual([]);
  await vContext.close();
  await bContext.close();
});

test('the Online toggle off means a new visitor gets the offline flow at once', async ({ browser, page }) => {
  await signInAdmin(page);
  site.key = await activeLiveChatPlaybook(page.request);
  // Bea might be online from an earlier test: take her offline too.
  const bContext = await browser.newContext();
  const b = await bContext.newPage();
  await logIn(b, bea.email, bea.password);
  await expect(b.getByRole('button', { name: 'Log out' })).toBeVisible();
  await b.request.post('/api/inbox/online', { form: { online: 'false' } });
  await bContext.close();

  await open(page, '/inbox');
  const toggle = page.getByRole('switch', { name: 'Online' });
  if (await toggle.isChecked()) await toggle.uncheck();
  await expect(toggle).not.toBeChecked();
  const vContext = await browser.newContext();
  const visitor = await vContext.newPage();
  await visitor.goto(`${site.origin}/pricing`);
  const chat = await openChat(visitor);
  await expect(chat.getByText('Sorry, nobody is available right now.')).toBeVisible();
  await vContext.close();
});

test('the side panel: a chat becomes a lead and a deal, seen live by a second agent', async ({ browser, page }) => {
  const errors: string[] = [];
  watchConsole(page, errors);
  await signInAdmin(page);
  await page.request.post('/api/users/add', {
    form: { name: bea.name, email: bea.email, password: bea.password, role: 'regular' },
  });
  site.key = await activeLiveChatPlaybook(page.request);
  await open(page, '/inbox');
  await goOnline(page);

  const vContext = await browser.newContext();
  const visitor = await vContext.newPage();
  await visitor.goto(`${site.origin}/`);
  const chat = await openChat(visitor);
  await expect(chat.getByText('One of our team will join this chat in a moment.')).toBeVisible();
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await page.locator('.conversation').first().click();
  await page.getByRole('button', { name: 'Assign to me' }).click();
  await expect(page.getByText(`Assigned to ${admin.name}`)).toBeVisible();
  const panel = page.getByRole('region', { name: 'Side panel' });

  // One field wrong first: the refusal stays beside it with what was typed; then fixed.
  await panel.getByLabel('Email', { exact: true }).fill('vera@');
  await panel.getByLabel('Email', { exact: true }).press('Enter');
  await expect(panel.getByText('Email: type an address like name@example.com.')).toBeVisible();
  await expect(panel.getByLabel('Email', { exact: true })).toHaveValue('vera@');
  await panel.getByLabel('Email', { exact: true }).fill('Vera@Shop.example');
  await panel.getByLabel('Email', { exact: true }).press('Enter');
  await expect(panel.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  await expect(panel.getByLabel('Email', { exact: true })).toHaveValue('vera@shop.example');
  await expect(panel.getByText('Email: type an address')).toHaveCount(0);
  // A save that answers while the next field is being typed leaves that field alone: the
  // Name's answer is held back until the Deal value has been typed.
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/api/crm/panel/save', async (route) => {
    await held;
    await route.continue();
  });
  await panel.getByLabel('Name', { exact: true }).fill('Vera Ortiz');
  await panel.getByLabel('Name', { exact: true }).press('Enter');
  await panel.getByLabel('Deal value').fill('1,250.50');
  release();
  await expect(panel.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  await expect(panel.getByLabel('Name', { exact: true })).toHaveValue('Vera Ortiz');
  await expect(panel.getByLabel('Deal value')).toHaveValue('1,250.50');
  // The conversation is called by the name typed here, at once (no reload).
  await expect(page.getByRole('heading', { name: 'Vera Ortiz', level: 2 })).toBeVisible();
  await page.unroute('**/api/crm/panel/save');
  await panel.getByLabel('Deal value').press('Enter');
  await expect(panel.getByLabel('Deal value')).toHaveValue('1250.50');
  await expect(panel.getByLabel('Currency')).toHaveValue('USD');

  // A refusal stays beside its field while another field saves, until its own field saves.
  const phoneError = panel.locator('#panel-phone-error');
  await panel.getByLabel('Phone', { exact: true }).fill('12');
  await panel.getByLabel('Phone', { exact: true }).press('Enter');
  await expect(phoneError).not.toBeEmpty();
  await panel.getByLabel('Notes').fill('Wants a quote for ten');
  await panel.getByLabel('Notes').press('Tab');
  await expect(panel.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  await expect(phoneError).not.toBeEmpty();
  await expect(panel.getByLabel('Phone', { exact: true })).toHaveValue('12');
  // Nothing is made while a field's value is refused (it would go without it).
  await panel.getByRole('button', { name: 'Create lead' }).click();
  await expect(panel.getByText('Phone is not saved yet')).toBeVisible();
  await expect(panel.getByText('Lead created')).toHaveCount(0);
  await panel.getByLabel('Phone', { exact: true }).fill('');
  await panel.getByLabel('Phone', { exact: true }).press('Enter');
  await expect(phoneError).toBeEmpty();
  await expect(panel.getByText('Phone is not saved yet')).toHaveCount(0);
  // A date typed key by key (its year digit by digit: 0002, 0020, 0202, 2027) is saved
  // whole, once, and this agent's own saves never conflict with each other.
  await panel.getByLabel('Expected close date').focus();
  await page.keyboard.type('03152027', { delay: 30 });
  await page.keyboard.press('Tab');
  await expect(panel.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  await expect(panel.getByText('Someone else changed')).toHaveCount(0);
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(panel.getByLabel('Expected close date')).toHaveValue('2027-03-15');
  await expect(panel.getByLabel('Notes')).toHaveValue('Wants a quote for ten');

  // Leaving a field by clicking "Create lead" saves it first: a wrong email blocks it…
  await panel.getByLabel('Email', { exact: true }).fill('ortiz@');
  await panel.getByRole('button', { name: 'Create lead' }).click();
  await expect(panel.getByText('Email is not saved yet')).toBeVisible();
  await expect(panel.getByText('Lead created')).toHaveCount(0);
  // …and once corrected, the one click saves it and then makes the lead, with that email:
  // shown at once, with its time; the conversation stays open.
  await panel.getByLabel('Email', { exact: true }).fill('ortiz@shop.example');
  await panel.getByRole('button', { name: 'Create lead' }).click();
  await expect(panel.getByText('Lead created')).toBeVisible();
  await expect(panel.getByRole('link', { name: 'Vera Ortiz lead' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Close conversation' })).toBeVisible();

  // Closed; Bea (another agent) opens it from Closed; "…" > "Create deal" shows up live
  // in her window too.
  await page.getByRole('button', { name: 'Close conversation' }).click();
  await expect(page.locator('.chat-meta')).toContainText('Closed');
  const id = new URL(page.url()).searchParams.get('c')!;
  const bContext = await browser.newContext();
  const b = await bContext.newPage();
  watchConsole(b, errors);
  await logIn(b, bea.email, bea.password);
  await expect(b.getByRole('button', { name: 'Log out' })).toBeVisible();
  await open(b, `/inbox?folder=closed&c=${id}`);
  const bPanel = b.getByRole('region', { name: 'Side panel' });
  await expect(bPanel.getByText('Lead created')).toBeVisible();
  await expect(bPanel.getByText('Deal created')).toHaveCount(0);
  await panel.getByRole('button', { name: '…', exact: true }).click();
  await panel.getByRole('button', { name: 'Create deal' }).click();
  await expect(panel.getByText('Deal created')).toBeVisible();
  await expect(bPanel.getByText('Deal created')).toBeVisible();

  // "Add activity": a refusal names its field; then it is listed, live in Bea's panel too.
  await panel.getByLabel('Subject').fill('Send the price list');
  await panel.getByLabel('Type').selectOption('meeting');
  await panel.getByRole('button', { name: 'Add activity' }).click();
  await expect(panel.getByText('Due date: choose a date')).toBeVisible();
  await panel.getByLabel('Due date').fill('2027-01-05');
  await panel.getByLabel('Due time').fill('14:30');
  await panel.getByRole('button', { name: 'Add activity' }).click();
  const activities = panel.getByRole('list', { name: 'Activities' });
  await expect(activities).toContainText('Send the price list');
  await expect(activities).toContainText('Meeting · due 2027-01-05 14:30');
  await expect(bPanel.getByRole('list', { name: 'Activities' })).toContainText('Send the price list');

  // Both are on their pages and link back to the conversation.
  await open(page, '/leads');
  const leadRow = page.getByRole('table', { name: 'Leads' }).getByRole('row').filter({ hasText: 'Vera Ortiz lead' });
  await expect(leadRow).toContainText('ortiz@shop.example');
  await expect(leadRow).toContainText('USD 1,250.50');
  // "Convert to deal": the conversation has its deal already, so the lead is linked to it.
  await leadRow.getByRole('button', { name: 'Convert to deal' }).click();
  await expect(leadRow).toContainText('Converted');
  await expect(leadRow.getByRole('button', { name: 'Convert to deal' })).toHaveCount(0);
  await open(page, '/deals');
  const dealRow = page.getByRole('table', { name: 'Deals' }).getByRole('row').filter({ hasText: 'Vera Ortiz deal' });
  await expect(dealRow).toContainText('USD 1,250.50');
  await dealRow.getByRole('button', { name: 'Mark as won' }).click();
  await expect(dealRow).toContainText('Won');
  await expect(dealRow.getByRole('button', { name: 'Mark as won' })).toHaveCount(0);
  await open(page, '/activities');
  const activityRow = page.getByRole('table', { name: 'Activities' }).getByRole('row').filter({ hasText: 'Send the price list' });
  await expect(activityRow).toContainText('Meeting · Not done');
  await activityRow.getByRole('button', { name: 'Mark as done' }).click();
  await expect(activityRow).toContainText('Meeting · Done');
  await open(page, '/deals');
  await dealRow.getByRole('link', { name: 'Open conversation' }).click();
  await expect(page).toHaveURL(new RegExp(`c=${id}`));
  await expect(page.getByRole('region', { name: 'Side panel' }).getByText('Deal created')).toBeVisible();
  expect(errors).toEqual([]);
  await vContext.close();
  await bContext.close();
});
