// Run on demand (not part of `make test`), from end2end/, with two servers on one fresh
// PostgreSQL database at :3601 and :3602 (LEADLINE_ADDR, LEADLINE_DATABASE_URL), then:
//   node load/missed-two-servers.js
// Two servers on one PostgreSQL database: 300 visitors (each from its own 127.x address) reach
// the Live Chat card through server A, half with the wait passing (missed), half taken by
// agents on server B. Checks: each missed chat got the offline message exactly once, every
// one can be taken and answered from B, and the visitor reads the reply through A.
const http = require('http');
const { request } = require('@playwright/test');
const A = 'http://127.0.0.1:3601', B = 'http://127.0.0.1:3602';
function post(base, path, body, addr) {
  return new Promise((ok, fail) => {
    const data = JSON.stringify(body);
    const u = new URL(base + path);
    const r = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', localAddress: addr,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let s = ''; res.on('data', (c) => s += c); res.on('end', () => ok({ status: res.statusCode, body: s ? JSON.parse(s) : null }));
    });
    r.on('error', fail); r.end(data);
  });
}
(async () => {
  const admin = await request.newContext({ baseURL: B });
  const su = await admin.post('/api/account/setup', { form: { company_name: 'Acme', name: 'Ada', email: 'ada@example.com', password: 'admin-password' } });
  if (!su.ok()) await admin.post('/api/account/login', { form: { email: 'ada@example.com', password: 'admin-password' } });
  const id = await (await admin.post('/api/playbooks/create', { form: { template: 'live_chat' } })).json();
  const p = await (await admin.post('/api/playbooks/get', { form: { id } })).json();
  p.cards[1].body.wait_seconds = 10;
  await admin.post('/api/playbooks/save', { data: { id, version: p.version, settings: { ...p.settings, active: true }, cards: p.cards } });
  await admin.post('/api/inbox/online', { form: { online: 'true' } });
  const N = 300, t0 = Date.now();
  const vs = await Promise.all([...Array(N)].map((_, i) =>
    post(A, '/api/visitor/start', { key: p.key, page_url: 'https://shop.example.com/' }, `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`)));
  console.log(`started ${N} through A in ${Date.now() - t0} ms; states:`, count(vs.map((v) => v.body.state)));
  // Half are taken at once on B; the other half wait out the 10 s.
  const taken = vs.slice(0, N / 2);
  const t1 = Date.now();
  const assigned = await Promise.all(taken.map((v) => admin.post('/api/inbox/assign', { form: { id: v.body.conversation_id } })));
  console.log(`assigned ${N / 2} on B in ${Date.now() - t1} ms:`, count(assigned.map((r) => r.status())));
  await new Promise((r) => setTimeout(r, 13_000));
  const after = await Promise.all(vs.map((v, i) => post(A, '/api/visitor/resume',
    { token: v.body.token, conversation_id: v.body.conversation_id }, `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`)));
  const offline = after.map((r) => r.body.messages.filter((m) => m.body.includes('nobody is available')).length);
  console.log('after the wait, states:', count(after.map((r) => r.body.state)),
    'offline messages per chat:', count(offline.slice(N / 2)), 'in taken chats:', count(offline.slice(0, N / 2)));
  // Every missed one is taken and answered from B; the visitor reads it through A.
  const missed = vs.slice(N / 2);
  const t2 = Date.now();
  const r2 = await Promise.all(missed.map(async (v) => {
    const a = await admin.post('/api/inbox/assign', { form: { id: v.body.conversation_id } });
    const s = await admin.post('/api/inbox/send', { form: { id: v.body.conversation_id, body: 'Sorry we missed you' } });
    return a.status() * 1000 + s.status();
  }));
  console.log(`took and answered ${missed.length} missed chats on B in ${Date.now() - t2} ms:`, count(r2));
  const seen = await Promise.all(missed.map((v, j) => post(A, '/api/visitor/resume',
    { token: v.body.token, conversation_id: v.body.conversation_id }, `127.0.${1 + Math.floor((j + N / 2) / 250)}.${1 + ((j + N / 2) % 250)}`)));
  console.log('visitors reading the reply through A:', seen.filter((r) => r.body.messages.some((m) => m.body === 'Sorry we missed you')).length, 'of', missed.length);
  process.exit(0);
})();
function count(xs) { const m = {}; for (const x of xs) m[x] = (m[x] || 0) + 1; return m; }
