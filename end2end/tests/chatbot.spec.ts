import { test, expect, Page } from '@playwright/test';
import { open, logIn, signInAdmin, watchConsole } from './helpers';

const agent = { email: 'cara@example.com', password: 'agent-password' };

function cards(page: Page) {
  return page.locator('.card-item');
}

async function kinds(page: Page) {
  return cards(page).locator('.card-kind').allTextContents();
}

test('an admin builds a Live Chat playbook, saves it, and sees it exactly as saved', async ({ page }) => {
  const errors: string[] = [];
  watchConsole(page, errors);
  await signInAdmin(page);
  await page.getByRole('link', { name: 'Chatbot' }).click();
  await expect(page.getByRole('heading', { name: 'Chatbot', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Add playbook' }).click();
  await page.getByRole('button', { name: 'Live Chat', exact: true }).click();
  await expect(page).toHaveURL(/\/chatbot\/[0-9a-f-]+$/);
  await expect(page.getByTestId('live-chat-status')).toHaveText('Live Chat: Offline mode only');
  expect(await kinds(page)).toEqual(['Message', 'Live Chat', 'Capture']);

  // Online message: plain text, bold text and a link.
  await cards(page).nth(1).getByRole('button', { name: 'Edit card' }).click();
  const online = page.getByRole('textbox', { name: 'Online message' });
  await online.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('We are here ');
  await page.getByRole('toolbar', { name: 'Online message formatting' }).getByRole('button', { name: 'Bold' }).click();
  await page.keyboard.type('right now');
  await page.getByRole('toolbar', { name: 'Online message formatting' }).getByRole('button', { name: 'Bold' }).click();
  await page.keyboard.type(' see pricing');
  for (let i = 0; i < 'pricing'.length; i++) await page.keyboard.press('Shift+ArrowLeft');
  page.once('dialog', (d) => d.accept('https://acme.example/pricing'));
  await page.getByRole('toolbar', { name: 'Online message formatting' }).getByRole('button', { name: 'Link' }).click();
  // The live preview shows the sanitized HTML the widget will show.
  const preview = cards(page).nth(1).locator('.rt-preview .message-bubble').first();
  await expect(preview.locator('b')).toHaveText('right now');
  await expect(preview.locator('a')).toHaveAttribute('href', 'https://acme.example/pricing');
  await expect(preview.locator('a')).toHaveAttribute('rel', 'noopener nofollow ugc');
  await page.getByLabel('Wait time').fill('90');
  await cards(page).nth(1).getByRole('button', { name: 'Done' }).click();

  // Add a Question card, then remove it with the trash control.
  await page.getByLabel('Card type').selectOption('question');
  await page.getByRole('button', { name: 'Add card' }).click();
  expect(await kinds(page)).toEqual(['Message', 'Live Chat', 'Capture', 'Question']);
  await cards(page).nth(3).getByRole('button', { name: 'Delete card' }).click();
  expect(await kinds(page)).toEqual(['Message', 'Live Chat', 'Capture']);

  // Reorder with the keyboard controls, then back by dragging the handle with the mouse.
  await cards(page).nth(1).getByRole('button', { name: 'Move up' }).click();
  expect(await kinds(page)).toEqual(['Live Chat', 'Message', 'Capture']);
  // Focus stays with the moved card (at the top its "Move up" is off: "Move down" has it).
  await expect(cards(page).nth(0).getByRole('button', { name: 'Move down' })).toBeFocused();
  await cards(page).nth(1).getByRole('button', { name: 'Drag to reorder' }).dragTo(cards(page).nth(0));
  expect(await kinds(page)).toEqual(['Message', 'Live Chat', 'Capture']);
  await cards(page).nth(1).getByRole('button', { name: 'Move up' }).click();
  expect(await kinds(page)).toEqual(['Live Chat', 'Message', 'Capture']);

  await page.getByLabel('Name', { exact: true }).fill('Pricing chat');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();

  // Reload: exactly the saved flow, with its Live Chat card, still offline mode only.
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.getByRole('heading', { name: 'Pricing chat' })).toBeVisible();
  expect(await kinds(page)).toEqual(['Live Chat', 'Message', 'Capture']);
  await expect(page.getByTestId('live-chat-status')).toHaveText('Live Chat: Offline mode only');
  const summary = cards(page).nth(0).locator('.card-summary');
  await expect(summary.locator('b')).toHaveText('right now');
  await expect(summary.locator('a')).toHaveAttribute('href', 'https://acme.example/pricing');
  await expect(summary).toContainText('Waits 90 s');
  await expect(page.getByLabel('Embed snippet')).toHaveValue(/<script src="http:\/\/127\.0\.0\.1:\d+\/widget\/loader\.js\?p=\w+" async><\/script>/);

  // The list shows it too.
  await open(page, '/chatbot');
  const row = page.getByRole('row', { name: /Pricing chat/ });
  await expect(row).toContainText('Offline mode only');
  await expect(row).toContainText('Never');
  expect(errors).toEqual([]);
});

test('a bad wait time is refused on the card and nothing is lost', async ({ page }) => {
  await signInAdmin(page);
  await open(page, '/chatbot');
  await page.getByRole('button', { name: 'Add playbook' }).click();
  await page.getByRole('button', { name: 'Live Chat', exact: true }).click();
  await expect(page).toHaveURL(/\/chatbot\/[0-9a-f-]+$/);
  await cards(page).nth(1).getByRole('button', { name: 'Edit card' }).click();
  await page.getByLabel('Wait time').fill('5');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Not saved: Use a wait time from 10 to 3600 seconds.')).toBeVisible();
  await expect(page.getByLabel('Wait time')).toHaveValue('5');
  await page.getByLabel('Wait time').fill('30');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
});

test('a regular user without the permission cannot edit playbooks', async ({ page, browser }) => {
  await signInAdmin(page);
  const r = await page.request.post('/api/users/add', {
    form: { name: 'Cara Agent', email: agent.email, password: agent.password, role: 'regular' },
  });
  expect([200, 422]).toContain(r.status()); // 422: already added by an earlier run of this test
  const created = await page.request.post('/api/playbooks/create', { form: { template: 'live_chat' } });
  expect(created.status()).toBe(200);
  const href = `/chatbot/${await created.json()}`;

  const context = await browser.newContext();
  const other = await context.newPage();
  await logIn(other, agent.email, agent.password);
  await expect(other.getByRole('button', { name: 'Log out' })).toBeVisible();
  await open(other, '/chatbot');
  await expect(other.getByRole('link', { name: 'Live Chat' }).first()).toBeVisible();
  await expect(other.getByRole('button', { name: 'Add playbook' })).toHaveCount(0);
  await open(other, href!);
  await expect(other.getByText('Only admins and users with the')).toBeVisible();
  await expect(other.getByRole('button', { name: 'Save' })).toHaveCount(0);
  await expect(other.getByRole('button', { name: 'Edit card' })).toHaveCount(0);
  await expect(other.getByRole('button', { name: 'Delete card' })).toHaveCount(0);
  await expect(other.getByLabel('Name', { exact: true })).toBeDisabled();
  await context.close();
});

// A 1×1 transparent PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

test('images upload to the avatar and into a message; non-images are refused; delete asks first', async ({ page }) => {
  const errors: string[] = [];
  watchConsole(page, errors);
  await signInAdmin(page);
  await open(page, '/chatbot');
  await page.getByRole('button', { name: 'Add playbook' }).click();
  await page.getByRole('button', { name: 'Blank playbook' }).click();
  await expect(page).toHaveURL(/\/chatbot\/[0-9a-f-]+$/);
  await expect(page.getByTestId('live-chat-status')).toHaveText('Live Chat: No Live Chat card');

  await page.getByLabel('Chatbot avatar').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: PNG });
  await expect(page.getByRole('img', { name: 'Current avatar' })).toBeVisible();
  // A file named .png that is not an image is refused by what it contains.
  await page.getByLabel('Chatbot avatar').setInputFiles({
    name: 'evil.png', mimeType: 'image/png', buffer: Buffer.from('<svg onload="alert(1)"/>'),
  });
  await expect(page.getByText('Upload a PNG, JPEG, GIF or WebP image.')).toBeVisible();

  await page.getByLabel('Card type').selectOption('message');
  await page.getByRole('button', { name: 'Add card' }).click();
  await page.getByRole('textbox', { name: 'Message' }).click();
  await page.keyboard.press('End');
  await page.locator('.card-item').first().locator('input[type="file"]')
    .setInputFiles({ name: 'team.png', mimeType: 'image/png', buffer: PNG });
  await expect(page.locator('.rt-preview img[src^="/uploads/"]')).toHaveCount(1);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.locator('.card-summary img[src^="/uploads/"]')).toHaveCount(1);
  await expect(page.getByRole('img', { name: 'Current avatar' })).toBeVisible();

  await page.getByRole('button', { name: 'Delete playbook' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('heading', { name: 'New playbook' })).toBeVisible();
  await page.getByRole('button', { name: 'Delete playbook' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(page).toHaveURL(/\/chatbot$/);
  await expect(page.getByRole('link', { name: 'New playbook' })).toHaveCount(0);
  expect(errors).toEqual([]);
});
