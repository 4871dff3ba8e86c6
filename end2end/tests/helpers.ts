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
