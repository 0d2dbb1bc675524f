// Drives Swagger UI on /docs in headless Chromium over the DevTools protocol: expands GET
// /health/live, clicks "Try it out" and "Execute", prints the request URL and status it shows.
// The request must go to the server that served the page, whatever its port (servers: [{url: /}]).
// Usage (Node 20+, Debian's chromium):
//   chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
//     --remote-debugging-port=9333 about:blank &
//   node --experimental-websocket scripts/docs-try-it-out.mjs 9333 http://localhost:18093/docs
// prints e.g. {"requestUrl":"http://localhost:18093/health/live","status":"200",...}
const [,, debugPort, pageUrl] = process.argv;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const targets = await (await fetch(`http://127.0.0.1:${debugPort}/json/list`)).json();
const page = targets.find((t) => t.type === 'page');
const ws = new WebSocket(page.webSocketDebuggerUrl);
await new Promise((r) => ws.addEventListener('open', r));
let seq = 0; const pending = new Map();
ws.addEventListener('message', (e) => { const m = JSON.parse(e.data); if (pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); } });
const send = (method, params = {}) => new Promise((r) => { const id = ++seq; pending.set(id, r); ws.send(JSON.stringify({ id, method, params })); });
const evaluate = async (expression) => (await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })).result?.result?.value;
await send('Page.enable');
await send('Page.navigate', { url: pageUrl });
for (let i = 0; i < 100 && !(await evaluate(`!!document.querySelector('#operations-operations-live')`)); i++) await sleep(200);
await evaluate(`document.querySelector('#operations-operations-live .opblock-summary-control').click()`);
for (let i = 0; i < 50 && !(await evaluate(`!!document.querySelector('#operations-operations-live .try-out__btn')`)); i++) await sleep(200);
await evaluate(`document.querySelector('#operations-operations-live .try-out__btn').click()`);
for (let i = 0; i < 50 && !(await evaluate(`!!document.querySelector('#operations-operations-live .execute')`)); i++) await sleep(200);
await evaluate(`document.querySelector('#operations-operations-live .execute').click()`);
for (let i = 0; i < 100 && !(await evaluate(`!!document.querySelector('#operations-operations-live .live-responses-table .response-col_status')`)); i++) await sleep(200);
console.log(JSON.stringify(await evaluate(`({
  requestUrl: document.querySelector('#operations-operations-live .request-url pre')?.textContent,
  status: document.querySelector('#operations-operations-live .live-responses-table .response .response-col_status')?.textContent?.trim(),
  body: document.querySelector('#operations-operations-live .live-responses-table .response-col_description pre')?.textContent })`)));
ws.close();
