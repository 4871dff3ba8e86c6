import { test, expect } from '@playwright/test';
import { signInAdmin, logIn, open } from './helpers';

// R5: a user changes their own password (their other sessions end, this one stays), and
// "Log out everywhere" ends them all.

const pat = { name: 'Pat Agent', email: 'pat@example.com', password: 'pat-password' };

test('change password in My settings ends the other sessions; Log out everywhere ends them all', async ({ page, browser }) => {
  await signInAdmin(page);
  const added = await page.request.post('/api/users/add', {
    form: { name: pat.name, email: pat.email, password: pat.password, role: 'regular' },
  });
  expect([200, 422]).toContain(added.status());

  const here = await (await browser.newContext()).newPage();
  const there = await (await browser.newContext()).newPage();
  for (const p of [here, there]) {
    await logIn(p, pat.email, pat.password);
    await expect(p.getByRole('button', { name: 'Log out' })).toBeVisible();
  }
  await here.getByRole('link', { name: 'My settings' }).click();
  const password = here.getByRole('region', { name: 'Password' });
  await password.getByLabel('Current password').fill('not-my-password');
  await password.getByLabel('New password').fill('pat-new-passphrase');
  await password.getByRole('button', { name: 'Change password' }).click();
  await expect(password.getByText('The current password is not right.')).toBeVisible();
  await password.getByLabel('Current password').fill(pat.password);
  await password.getByLabel('New password').fill('pat-new-passphrase');
  await password.getByRole('button', { name: 'Change password' }).click();
  await expect(password.getByRole('status')).toContainText('Password changed');
  await expect(password.getByLabel('Current password')).toHaveValue('');
  await expect(password.getByLabel('New password')).toHaveValue('');

  // The other browser is signed out; this one is not.
  await there.reload();
  await expect(there).toHaveURL(/\/login$/);
  await open(here, '/inbox');
  await expect(here.getByRole('button', { name: 'Log out' })).toBeVisible();

  await open(here, '/my-settings');
  await here.getByRole('button', { name: 'Log out everywhere' }).click();
  await expect(here).toHaveURL(/\/login$/);
  await logIn(there, pat.email, 'pat-new-passphrase');
  await expect(there.getByRole('button', { name: 'Log out' })).toBeVisible();
});

test('an admin sets a user\'s password on the Users page; the user is signed out and signs in with it', async ({ page, browser }) => {
  await signInAdmin(page);
  const sam = { name: 'Sam Setpass', email: 'sam@example.com', password: 'sam-first-pass' };
  const added = await page.request.post('/api/users/add', {
    form: { name: sam.name, email: sam.email, password: sam.password, role: 'regular' },
  });
  expect([200, 422]).toContain(added.status());
  const theirs = await (await browser.newContext()).newPage();
  await logIn(theirs, sam.email, sam.password);
  await expect(theirs.getByRole('button', { name: 'Log out' })).toBeVisible();

  await open(page, '/users');
  const row = page.getByRole('listitem').filter({ hasText: sam.email });
  await row.getByLabel(`New password for ${sam.name}`).fill('short');
  await row.getByRole('button', { name: 'Set password' }).click();
  await expect(row.getByRole('alert')).toContainText('at least 8');
  await row.getByLabel(`New password for ${sam.name}`).fill('sam-second-passphrase');
  await row.getByRole('button', { name: 'Set password' }).click();
  await expect(row.getByRole('status')).toContainText('Password set');

  await theirs.reload();
  await expect(theirs).toHaveURL(/\/login$/);
  await logIn(theirs, sam.email, 'sam-second-passphrase');
  await expect(theirs.getByRole('button', { name: 'Log out' })).toBeVisible();
});
