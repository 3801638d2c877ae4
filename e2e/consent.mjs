// End-to-end walk-through of the consent pages in headless Chromium (Debian `chromium`,
// driven by playwright-core). Needs a running `ogw serve --demo` at OGW_BASE; the browser
// talks to it from 127.0.0.1, which the demo maps to +34629255833 (network-based
// authentication). Screenshots go to E2E_ARTIFACTS. Exits non-zero on any failed step.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const BASE = process.env.OGW_BASE ?? 'http://127.0.0.1:8080';
const OUT = process.env.E2E_ARTIFACTS ?? 'target/e2e-artifacts';
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const REDIRECT_URI = 'https://app.example/cb';
// The logo of the branded view (e2e/brand-view.json): served by the test, not the network.
const LOGO_ORIGIN = 'https://cdn.operator.example';
const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
mkdirSync(OUT, { recursive: true });

let failures = 0;
function check(cond, what) {
  if (cond) {
    console.log(`  ok   ${what}`);
  } else {
    failures += 1;
    console.log(`  FAIL ${what}`);
  }
}

function authorizeUrl(scope, state) {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: 'demo-client',
    redirect_uri: REDIRECT_URI,
    scope,
    state,
    nonce: 'e2e-nonce',
  });
  return `${BASE}/authorize?${q}`;
}

/// Runs one flow in a fresh context: the client's redirect target is intercepted (it does
/// not resolve) and its URL returned.
async function consentFlow(browser, { locale, scope, state, button, shot, inspect }) {
  const context = await browser.newContext({ locale });
  // Reached only if the page's CSP lets the browser ask for the logo.
  await context.route(`${LOGO_ORIGIN}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'image/png', body: PNG_1X1 }),
  );
  const page = await context.newPage();
  const cspErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  // The 303 after the form post goes to the client's redirect_uri, which does not resolve:
  // the redirected request is observed (request events fire for redirect targets too).
  let landed = null;
  page.on('request', (req) => {
    if (req.url().startsWith('https://app.example/')) landed = req.url();
  });
  await page.goto(authorizeUrl(scope, state));
  check(page.url().startsWith(`${BASE}/consent/capture?ref=`), `${shot}: /authorize led to the consent page`);
  await page.locator(`#${button}`).waitFor();
  await page.screenshot({ path: join(OUT, `${shot}.png`), fullPage: true });
  check((await page.locator('#app-name').textContent())?.includes('Demo client'), `${shot}: page names the app`);
  if (inspect) await inspect(page, shot);
  await Promise.all([
    page.waitForRequest((r) => r.url().startsWith('https://app.example/'), { timeout: 15000 }).catch(() => {}),
    page.locator(`#${button}`).click(),
  ]);
  const url = new URL(landed ?? page.url());
  // What the client's callback would receive, as the artifact of this step.
  const cb = await context.newPage();
  await cb.setContent('<h1>client callback received</h1><pre></pre>');
  await cb.locator('pre').evaluate((el, u) => { el.textContent = u; }, url.toString());
  await cb.screenshot({ path: join(OUT, `${shot}-redirect.png`), fullPage: true });
  check(cspErrors.length === 0, `${shot}: no CSP violations ${cspErrors.join(' | ')}`);
  await context.close();
  return url;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // playwright's launch() itself runs on a fresh, temporary --user-data-dir.
    ],
  });
  try {
    console.log('allow: authorization code flow that needs consent');
    const allowed = await consentFlow(browser, {
      locale: 'en-GB',
      scope: 'openid dpv:RequestedServiceProvision qos-profiles:read',
      state: 'e2e-allow',
      button: 'allow',
      shot: '01-consent-allow',
      inspect: async (page, shot) => {
        // The view made by `ogw view create` (most specific for this purpose + capability).
        check((await page.locator('h1').textContent()) === 'Smoother video', `${shot}: the branded view's English title`);
        const css = (sel, prop) => page.locator(sel).evaluate((el, p) => getComputedStyle(el)[p], prop);
        check((await css('#allow', 'backgroundColor')) === 'rgb(228, 0, 43)', `${shot}: brand colour on the Allow button`);
        check((await css('header.brand', 'borderBottomColor')) === 'rgb(228, 0, 43)', `${shot}: brand colour on the header rule`);
        check((await css('#allow', 'color')) === 'rgb(255, 255, 255)', `${shot}: readable text on the brand colour`);
        const logo = page.locator('header.brand img.logo');
        check((await logo.getAttribute('alt')) === 'Demo Operator', `${shot}: the logo's alt text is the operator name`);
        await page.waitForFunction(() => document.querySelector('img.logo')?.complete);
        check((await logo.evaluate((img) => img.naturalWidth)) === 1, `${shot}: the logo loads under the CSP`);
      },
    });
    check(allowed.origin + allowed.pathname === REDIRECT_URI, `landed on ${REDIRECT_URI}`);
    const code = allowed.searchParams.get('code');
    check(!!code, 'redirect carries a code');
    check(allowed.searchParams.get('state') === 'e2e-allow', 'state echoed');
    if (code) {
      const res = await fetch(`${BASE}/token`, {
        method: 'POST',
        headers: {
          authorization: 'Basic ' + Buffer.from('demo-client:demo-secret').toString('base64'),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }),
      });
      check(res.status === 200, `code exchanges for a token (${res.status})`);
    }

    console.log('deny: the same flow for another consent-basis purpose, in Spanish');
    const denied = await consentFlow(browser, {
      locale: 'es-ES',
      scope: 'openid dpv:ServiceProvision qos-profiles:read',
      state: 'e2e-deny',
      button: 'deny',
      shot: '02-consent-deny',
      inspect: async (page, shot) => {
        const bg = await page.locator('#allow').evaluate((el) => getComputedStyle(el).backgroundColor);
        check(bg === 'rgb(11, 95, 255)', `${shot}: no view → the built-in colour (${bg})`);
      },
    });
    check(denied.searchParams.get('error') === 'access_denied', 'redirect carries error=access_denied');
    check(denied.searchParams.get('state') === 'e2e-deny', 'state echoed');
    check(!denied.searchParams.get('code'), 'no code after deny');

    console.log('dashboard: list and revoke');
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    const res = await page.goto(`${BASE}/my/consents`);
    const headers = res?.headers() ?? {};
    check((headers['content-security-policy'] ?? '').includes("frame-ancestors 'none'"), 'dashboard CSP forbids framing');
    check(headers['x-frame-options'] === 'DENY', 'X-Frame-Options: DENY');
    const row = page.locator('section.consent[data-purpose="dpv:RequestedServiceProvision"]');
    check((await row.locator('.status').textContent()) === 'Granted', 'granted consent listed');
    const deniedRow = page.locator('section.consent[data-purpose="dpv:ServiceProvision"]');
    check((await deniedRow.locator('.status').textContent()) === 'Denied', 'denied consent listed');
    await page.screenshot({ path: join(OUT, '03-dashboard.png'), fullPage: true });
    await Promise.all([page.waitForLoadState('load'), row.locator('button.revoke').click()]);
    await page.waitForURL(`${BASE}/my/consents`);
    check(
      (await page.locator('section.consent[data-purpose="dpv:RequestedServiceProvision"] .status').textContent()) === 'Revoked',
      'revoked after clicking Revoke',
    );
    await page.screenshot({ path: join(OUT, '04-dashboard-revoked.png'), fullPage: true });
    await context.close();
  } finally {
    await browser.close();
  }
  console.log(failures === 0 ? 'e2e: all steps passed' : `e2e: ${failures} step(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
