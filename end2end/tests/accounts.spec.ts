import { test, expect } from '@playwright/test';
import { open, logIn, watchConsole } from './helpers';

// One story on a fresh server, in order: first-run setup, log out, log in, add a
// regular user, that user logs in and is kept out of Users.
test.describe.serial('accounts', () => {
  const admin = { email: 'ada@example.com', password: 'admin-password' };
  const agent = { email: 'rey@example.com', password: 'agent-password' };

  test('a fresh server leads to setup, which creates the company and admin', async ({ page }) => {
    const errors: string[] = [];
    watchConsole(page, errors);
    await open(page, '/');
    await expect(page).toHaveURL(/\/setup$/);
    await expect(page.getByRole('heading', { name: 'Set up Leadline' })).toBeVisible();
    // The password rule is stated before the first try.
    await expect(page.getByText('At least 8 characters')).toBeVisible();

    await page.getByLabel('Company name').fill('Acme Travel');
    await page.getByLabel('Name', { exact: true }).fill('Ada Admin');
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Create company' }).click();
    // The server's message shows on the field, and what was typed is kept.
    await expect(page.getByText('Enter a valid email address')).toBeVisible();
    await expect(page.getByLabel('Company name')).toHaveValue('Acme Travel');

    await page.getByLabel('Email').fill(admin.email);
    await page.getByRole('button', { name: 'Create company' }).click();
    await expect(page.getByRole('heading', { name: 'Welcome, Ada Admin' })).toBeVisible();
    // What to do next: a checklist, nothing done yet.
    const steps = page.getByRole('region', { name: 'Get started' });
    await expect(steps).toContainText('0 of 3 steps done');
    await expect(steps.getByRole('link', { name: 'Create a playbook' })).toHaveAttribute('href', '/chatbot');
    await expect(steps.getByRole('link', { name: 'Go online to take chats' })).toHaveAttribute('href', '/inbox');
    await expect(page.locator('.user-name')).toHaveText('Ada Admin');
    await expect(page.getByRole('link', { name: 'Users' })).toBeVisible();
    expect(errors).toEqual([]);
  });

  test('setup is gone once done', async ({ page }) => {
    await page.goto('/setup');
    await expect(page).toHaveURL(/\/login$/);
  });

  test('log out, then log in with a wrong and the right password', async ({ page }) => {
    await logIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Welcome, Ada Admin' })).toBeVisible();
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    await open(page, '/users');
    await expect(page).toHaveURL(/\/login$/);

    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByText('Email or password is incorrect')).toBeVisible();
    await expect(page.getByLabel('Email')).toHaveValue(admin.email);

    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('heading', { name: 'Welcome, Ada Admin' })).toBeVisible();
  });

  test('an admin adds a regular user', async ({ page }) => {
    await logIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Welcome, Ada Admin' })).toBeVisible();
    await page.getByRole('link', { name: 'Users' }).click();
    await expect(page.getByRole('heading', { name: 'Users', exact: true })).toBeVisible();

    const form = page.locator('.add-user');
    // The password rule is stated before the first try, as the field's description.
    await expect(form.getByLabel('Password')).toHaveAccessibleDescription(/At least 8 characters/);
    await form.getByLabel('Name').fill('Rey Agent');
    await form.getByLabel('Email').fill(admin.email);
    await form.getByLabel('Password').fill(agent.password);
    await form.getByRole('button', { name: 'Add user' }).click();
    await expect(form.getByText('A user with this email already exists.')).toBeVisible();
    await expect(form.getByLabel('Name')).toHaveValue('Rey Agent');

    await form.getByLabel('Email').fill(agent.email);
    await form.getByLabel('Role').selectOption('regular');
    await form.getByRole('button', { name: 'Add user' }).click();
    const row = page.locator('.user-item').filter({ hasText: agent.email });
    await expect(row).toBeVisible();
    await expect(row).toContainText('Regular');
    await expect(form.getByLabel('Name')).toHaveValue('');
  });

  test('the admin sets the default country for phone numbers in Company settings', async ({ page }) => {
    const errors: string[] = [];
    watchConsole(page, errors);
    await logIn(page, admin.email, admin.password);
    await page.getByRole('link', { name: 'Company settings' }).click();
    await expect(page.getByRole('heading', { name: 'Company settings' })).toBeVisible();
    await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
    await expect(page.getByLabel('Company name')).toHaveValue('Acme Travel');
    await page.getByLabel('Company name').fill('Acme Travel Asia');
    await page.getByLabel('Default country').selectOption('ID');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
    await page.reload();
    await expect(page.getByLabel('Default country')).toHaveValue('ID');
    await expect(page.getByLabel('Company name')).toHaveValue('Acme Travel Asia');
    expect(errors).toEqual([]);
  });

  test('the regular user logs in and cannot reach Users', async ({ page }) => {
    await logIn(page, agent.email, agent.password);
    await expect(page.getByRole('heading', { name: 'Welcome, Rey Agent' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Company settings' })).toHaveCount(0);
    // The first steps are the ones this user can take: going online, not building playbooks.
    const steps = page.getByRole('region', { name: 'Get started' });
    await expect(steps).toContainText('0 of 1 step done');
    await expect(steps.getByRole('link', { name: 'Go online to take chats' })).toBeVisible();
    await expect(steps.getByRole('link', { name: 'Create a playbook' })).toHaveCount(0);
    await open(page, '/users');
    await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Add user' })).toHaveCount(0);
    await open(page, '/settings');
    await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
    await expect(page.getByLabel('Default country')).toHaveCount(0);
  });
});
