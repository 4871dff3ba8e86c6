import { test, expect, Page } from '@playwright/test';
import { open, signInAdmin, watchConsole } from './helpers';

// The playbook editor can be trusted: it says when it saved, asks before losing edits, never
// crashes, reorders by dragging, undoes a delete, warns, and shows the widget before saving.

function cards(page: Page) {
  return page.locator('.card-item');
}

async function kinds(page: Page) {
  return cards(page).locator('.card-kind').allTextContents();
}

async function newLiveChatPlaybook(page: Page) {
  await open(page, '/chatbot');
  await page.getByRole('button', { name: 'Add playbook' }).click();
  await page.getByRole('button', { name: 'Live Chat', exact: true }).click();
  await expect(page).toHaveURL(/\/chatbot\/[0-9a-f-]+$/);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
}

const saveState = (page: Page) => page.locator('.save-state');

test('"Saved" after saving, and leaving with unsaved changes asks first', async ({ page }) => {
  const errors: string[] = [];
  watchConsole(page, errors);
  await signInAdmin(page);
  await newLiveChatPlaybook(page);
  await expect(saveState(page)).toHaveText('');
  await page.getByLabel('Name', { exact: true }).fill('Trusted chat');
  await expect(saveState(page)).toHaveText('Unsaved changes');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(saveState(page)).toHaveText('Saved');

  // An in-app link with unsaved changes: asked; staying keeps the edits.
  await page.getByLabel('Chatbot name').fill('Bob the bot');
  await expect(saveState(page)).toHaveText('Unsaved changes');
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); void d.dismiss(); });
  await page.getByRole('link', { name: 'Live Chat', exact: true }).click();
  await expect.poll(() => asked).toContain('unsaved changes');
  await expect(page).toHaveURL(/\/chatbot\/[0-9a-f-]+$/);
  await expect(page.getByLabel('Chatbot name')).toHaveValue('Bob the bot');

  // A reload asks too (the browser's own question).
  let reloadAsked = false;
  page.once('dialog', (d) => { reloadAsked = d.type() === 'beforeunload'; void d.dismiss(); });
  await page.reload({ timeout: 3_000 }).catch(() => {});
  await expect.poll(() => reloadAsked).toBe(true);
  await expect(page.getByLabel('Chatbot name')).toHaveValue('Bob the bot');

  // Accepting leaves.
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('link', { name: 'Live Chat', exact: true }).click();
  await expect(page).toHaveURL(/\/inbox/);
  // Saved: nothing to ask.
  await open(page, '/chatbot');
  await page.getByRole('link', { name: 'Trusted chat' }).first().click();
  await expect(page.getByLabel('Chatbot name')).toHaveValue('Chatbot');
  await page.getByRole('link', { name: 'Chatbot', exact: true }).click();
  await expect(page).toHaveURL(/\/chatbot$/);
  expect(errors).toEqual([]);
});

test('a refused site, then removing a rule and saving, works and keeps working', async ({ page }) => {
  const errors: string[] = [];
  watchConsole(page, errors);
  await signInAdmin(page);
  await newLiveChatPlaybook(page);
  await expect(page.getByText('No rule: every page.')).toBeVisible();
  await page.getByRole('button', { name: 'Add rule' }).click();
  await expect(page.getByText('No rule: every page.')).toHaveCount(0);
  await page.getByLabel('Rule 1 URL text').fill('/pricing');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(saveState(page)).toHaveText('Saved');
  const sites = page.getByLabel(/Sites allowed to embed it/);
  await sites.fill('not a url');
  await sites.blur();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Start the site with https:// or http://.').first()).toBeVisible();
  // Fixing the field takes its message away.
  await sites.fill('');
  await sites.blur();
  await expect(page.getByText('Start the site with https:// or http://.')).toHaveCount(0);
  await page.getByRole('button', { name: 'Remove rule' }).click();
  await expect(page.getByText('No rule: every page.')).toBeVisible();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(saveState(page)).toHaveText('Saved');
  // And again, after more edits: Save still works, nothing was lost.
  await page.getByLabel('Name', { exact: true }).fill('Still saving');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(saveState(page)).toHaveText('Saved');
  await cards(page).nth(0).getByRole('button', { name: 'Edit card' }).click();
  await page.getByRole('textbox', { name: 'Message' }).click();
  await page.keyboard.press('End');
  await page.keyboard.type(' Welcome back.');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(saveState(page)).toHaveText('Saved');
  await page.reload();
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await expect(page.getByRole('heading', { name: 'Still saving' })).toBeVisible();
  await expect(cards(page).nth(0).locator('.card-summary')).toContainText('Welcome back.');
  expect(errors).toEqual([]);
});

test('drag by the handle, undo a delete, and warnings about the flow', async ({ page }) => {
  const errors: string[] = [];
  watchConsole(page, errors);
  await signInAdmin(page);
  await newLiveChatPlaybook(page);
  expect(await kinds(page)).toEqual(['Message', 'Live Chat', 'Capture']);

  // Dragging the handle with the mouse, both ways.
  await cards(page).nth(2).getByRole('button', { name: 'Drag to reorder' }).dragTo(cards(page).nth(0));
  expect(await kinds(page)).toEqual(['Capture', 'Message', 'Live Chat']);
  await cards(page).nth(0).getByRole('button', { name: 'Drag to reorder' }).dragTo(cards(page).nth(2));
  expect(await kinds(page)).toEqual(['Message', 'Live Chat', 'Capture']);

  // Deleting the offline flow's Capture card warns on the Live Chat card; "Undo" brings it back.
  await cards(page).nth(2).getByRole('button', { name: 'Delete card' }).click();
  expect(await kinds(page)).toEqual(['Message', 'Live Chat']);
  await expect(cards(page).nth(1).getByRole('note')).toContainText('asks for no email or phone');
  await page.getByRole('button', { name: 'Undo' }).click();
  expect(await kinds(page)).toEqual(['Message', 'Live Chat', 'Capture']);
  await expect(page.getByRole('note')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Undo' })).toHaveCount(0);

  // A card after an End card is never reached: a warning on it.
  await page.getByLabel('Card type').selectOption('end');
  await page.getByRole('button', { name: 'Add card' }).click();
  await page.getByLabel('Card type').selectOption('message');
  await page.getByRole('button', { name: 'Add card' }).click();
  await expect(cards(page).nth(4).getByRole('note')).toContainText('after an End card');
  await expect(cards(page).nth(3).getByRole('note')).toHaveCount(0);

  // Undo lasts until the playbook is saved.
  await cards(page).nth(4).getByRole('button', { name: 'Delete card' }).click();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(saveState(page)).toHaveText('Saved');
  await expect(page.getByRole('button', { name: 'Undo' })).toHaveCount(0);
  expect(await kinds(page)).toEqual(['Message', 'Live Chat', 'Capture', 'End']);
  expect(errors).toEqual([]);
});

test('the widget preview shows what a visitor will see, before saving', async ({ page }) => {
  const errors: string[] = [];
  watchConsole(page, errors);
  await signInAdmin(page);
  await newLiveChatPlaybook(page);
  const preview = page.frameLocator('iframe[title="Widget preview"]');
  await expect(preview.getByRole('heading', { name: 'Chatbot' })).toBeVisible();
  await expect(preview.getByText('How can we help you today?')).toBeVisible();
  await expect(preview.getByText('One of our team will join this chat in a moment.')).toBeVisible();
  // Unsaved edits show at once.
  await page.getByLabel('Chatbot name').fill('Preview Pal');
  await expect(preview.getByRole('heading', { name: 'Preview Pal' })).toBeVisible();
  // Nobody online: the offline message and the details form.
  await page.getByLabel('The visitor finds').selectOption('nobody');
  await expect(preview.getByText('Sorry, nobody is available right now.')).toBeVisible();
  await expect(preview.getByLabel('Email')).toBeVisible();
  await expect(preview.getByLabel('Phone')).toBeVisible();
  await expect(saveState(page)).toHaveText('Unsaved changes');
  expect(errors).toEqual([]);
});
