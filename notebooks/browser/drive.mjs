// drive.mjs runs notebooks in Debian's Chromium inside JupyterLab 4, as a
// student would, and records what the page shows. It judges nothing:
// notebooks/browser_test.go decides what passes.
//
//   node drive.mjs CONFIG.json RESULT.json
//
// CONFIG: {url, app, token, chromium, shots, notebooks: [{name, progress: [cell
// index], controls: [cell index]}], timeoutMs}. url is the server's address
// with its base URL (e.g. http://127.0.0.1:PORT/user/student); app is "lab"
// (JupyterLab) or "notebook" (Notebook 7, the same front end with another
// shell); token, if not empty, is the server's access token. The server runs with --expose-app-in-browser, so the page holds
// the application as window.jupyterapp; everything is done through its
// commands and the notebook panel it shows, as the menus do.
//
// For every notebook it opens the page, clears the outputs, runs Kernel >
// Restart Kernel and Run All Cells (accepting the dialog, as a student
// clicks "Restart"), and while that runs samples the output of every
// "progress" cell and exercises every "controls" cell (each slider and select
// moved once, each button clicked, then the button labelled "stop"). After
// the run it records the notebook JSON as the browser holds it, the images
// the page shows and the MathJax elements, then re-runs each progress cell
// alone and samples it again. A screenshot of every notebook goes to the
// shots folder. RESULT gets one report per notebook; the browser is closed
// whatever happens.

import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [configPath, resultPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const poll = 150; // ms between samples of the page
const log = (...a) => console.error(new Date().toISOString().slice(11, 19), ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// pageState returns, for each cell, its prompt and a digest of its outputs;
// it runs in the page.
function pageState(name) {
  // sig is a short hash of a string (image data URLs are long).
  const sig = (s) => {
    let h = 2166136261;
    for (let i = 0; i < s.length; i += 3) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    return s.length + ':' + (h >>> 0).toString(16);
  };
  const w = globalThis.jupyterapp.shell.currentWidget;
  const kernel = w.sessionContext.session?.kernel;
  return {
    // GoNB reports its status only around executions, so JupyterLab says
    // "unknown" until the first one: that counts as idle too.
    idle: ['idle', 'unknown'].includes(kernel?.status) && kernel?.connectionStatus === 'connected',
    cells: w.content.widgets.map((c) => {
      if (c.model.type !== 'code') return null;
      const el = c.outputArea.node;
      const imgs = Array.from(el.querySelectorAll('img'));
      // The prompt reads "[*]:" while the cell runs (or waits to run),
      // "[n]:" once it ran and "[ ]:" before.
      const p = (c.promptNode?.textContent ?? '').replace(/[[\]:\s]/g, '');
      return {
        prompt: p === '*' ? '*' : p === '' ? null : Number(p),
        // textContent, not innerText: JupyterLab skips laying out cells out
        // of view (content-visibility), and innerText of those is empty.
        text: el.textContent,
        images: imgs.map((im) => sig(im.src)).join(' '),
        controls: el.querySelectorAll('input[type=range], select, button').length,
        hasStop: Array.from(el.querySelectorAll('button')).some((b) => b.textContent.trim().toLowerCase() === 'stop'),
      };
    }),
  };
}

const state = (page, name) => page.evaluate(pageState, name);

// shot saves a screenshot of the whole notebook. JupyterLab scrolls inside
// the notebook, so the page is made as tall as the notebook first.
async function shot(page, path) {
  const vp = page.viewportSize();
  try {
    const h = await page.evaluate(() => {
      const w = globalThis.jupyterapp?.shell?.currentWidget;
      const outer = w?.content?.node;
      return outer ? outer.scrollHeight + 200 : 0;
    });
    if (h > vp.height) await page.setViewportSize({ width: vp.width, height: Math.min(h, 30000) });
    await sleep(300);
    await page.screenshot({ path });
  } catch (e) {
    log(`screenshot ${path}: ${e}`);
  } finally {
    await page.setViewportSize(vp).catch(() => {});
  }
}
const running = (c) => c && c.prompt === '*';
const finished = (c) => c && typeof c.prompt === 'number';

// Sampler records the distinct non-empty output texts of watched cells while
// they run.
class Sampler {
  constructor(cells) {
    this.seen = new Map(cells.map((i) => [i, new Set()]));
    this.ran = new Map(cells.map((i) => [i, false]));
  }
  add(st) {
    for (const [i, set] of this.seen) {
      const c = st.cells[i];
      if (running(c)) {
        this.ran.set(i, true);
        if (c.text.trim() !== '') set.add(c.text);
      }
    }
  }
  report(i) {
    return { cell: i, ran: this.ran.get(i), distinct: this.seen.get(i).size };
  }
}

// waitUntil polls the page until done(state) holds (then for stableMs more),
// feeding every state to onState; it returns false on timeout.
async function waitUntil(page, name, done, { timeoutMs, stableMs = 1500, onState = async () => {} }) {
  const end = Date.now() + timeoutMs;
  let since = null;
  while (Date.now() < end) {
    const st = await state(page, name);
    await onState(st);
    if (done(st)) {
      since ??= Date.now();
      if (Date.now() - since >= stableMs) return true;
    } else {
      since = null;
    }
    await sleep(poll);
  }
  return false;
}

// follow scrolls the first watched cell that is running into view, as a
// student scrolls down to watch the progress of the cell that is running.
async function follow(page, st, watched) {
  const k = watched.find((i) => running(st.cells[i]));
  if (k === undefined) return;
  await page.evaluate((k) => {
    const node = globalThis.jupyterapp.shell.currentWidget.content.widgets[k].node;
    const r = node.getBoundingClientRect();
    if (r.bottom < 0 || r.top > innerHeight) node.scrollIntoView({ block: 'start' });
  }, k);
}

// runCell starts cell k alone, as Ctrl+Enter does, and returns at once (the
// command's promise settles only when the cell has finished).
async function runCell(page, name, k) {
  await page.evaluate((k) => {
    const w = globalThis.jupyterapp.shell.currentWidget;
    w.content.activeCellIndex = k;
    globalThis.jupyterapp.commands.execute('notebook:run-cell');
  }, k);
}

const interrupt = (page) => page.evaluate(() => globalThis.jupyterapp.shell.currentWidget.sessionContext.session?.kernel?.interrupt());

// exercise moves every slider and select of controls cell i once and clicks
// every button but "stop", recording whether the cell's images change; then
// it clicks "stop". It returns null when the widgets never connected (no
// "stop" button within 20 s): GoNB gives the page 500 ms to answer its
// connection request, which a busy machine can miss.
async function exercise(page, name, i) {
  const out = [];
  const cellOut = page.locator('.jp-Notebook .jp-Cell').nth(i).locator('.jp-OutputArea');
  const cellState = async () => (await state(page, name)).cells[i];
  // A student scrolls down to the controls first.
  await page.evaluate((i) => globalThis.jupyterapp.shell.currentWidget.content.widgets[i].node.scrollIntoView({ block: 'start' }), i);
  // Wait for the controls to settle: nothing in the cell changes for 1.5 s,
  // and the "stop" button, which a cell builds last, is there (or 20 s passed:
  // widgets are built one by one, each once the page has acknowledged the one
  // before).
  let last = '';
  const t0 = Date.now();
  await waitUntil(page, name, (st) => {
    const c = st.cells[i];
    const key = c.text + c.images + c.controls;
    const same = key === last;
    last = key;
    return same && (c.hasStop || Date.now() - t0 > 20000);
  }, { timeoutMs: 60000 });
  const settled = await cellState();
  if (!settled.hasStop) {
    log(`  no stop button after 20 s; the cell shows ${settled.controls} controls and: ${settled.text.slice(-300).replace(/\s+/g, ' ')}`);
    return null;
  }

  const changeImage = async (kind, label, act) => {
    const before = (await cellState()).images;
    const t0 = Date.now();
    await act();
    let after = before;
    let ms = null;
    await waitUntil(page, name, (st) => {
      after = st.cells[i].images;
      if (after !== before && ms === null) ms = Date.now() - t0;
      return after !== before;
    }, { timeoutMs: 20000, stableMs: 300 });
    out.push({ kind, label, changed: after !== before, ms });
    log(`  ${kind} ${label}: image ${after !== before ? `changed after ${ms} ms` : 'did NOT change'}`);
  };

  const sliders = cellOut.locator('input[type=range]');
  for (let k = 0; k < (await sliders.count()); k++) {
    const s = sliders.nth(k);
    const label = await s.evaluate((el) => el.closest('tr')?.cells?.[0]?.textContent?.trim() || el.id);
    await changeImage('slider', label, () => s.evaluate((el) => {
      el.value = String(Number(el.value) === Number(el.min) ? el.max : el.min);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }));
  }
  const selects = cellOut.locator('select');
  for (let k = 0; k < (await selects.count()); k++) {
    const s = selects.nth(k);
    const label = await s.evaluate((el) => el.closest('tr')?.cells?.[0]?.textContent?.trim() || el.id);
    const n = await s.evaluate((el) => el.options.length);
    const cur = await s.evaluate((el) => el.selectedIndex);
    await changeImage('select', label, () => s.selectOption({ index: (cur + 1) % n }));
  }
  const buttons = cellOut.locator('button');
  let stop = null;
  for (let k = 0; k < (await buttons.count()); k++) {
    const b = buttons.nth(k);
    const label = (await b.innerText()).trim();
    if (label.toLowerCase() === 'stop') {
      stop = b;
      continue;
    }
    const before = await cellState();
    const texts = new Set();
    await b.click();
    // The button's work counts as done when the images have changed and the
    // cell's output has been still for 2 s.
    await waitUntil(page, name, (st) => {
      const c = st.cells[i];
      if (c.text !== before.text) texts.add(c.text);
      return c.images !== before.images;
    }, { timeoutMs: 90000, stableMs: 2000 });
    const after = await cellState();
    out.push({ kind: 'button', label, changed: after.images !== before.images, distinct: texts.size });
    log(`  button ${label}: ${texts.size} distinct outputs while working, image ${after.images !== before.images ? 'changed' : 'did NOT change'}`);
  }
  // stop must end the cell: its prompt turns from [*] to a number.
  const t1 = Date.now();
  await stop.click();
  const ended = await waitUntil(page, name, (st) => finished(st.cells[i]), { timeoutMs: 30000, stableMs: 0 });
  out.push({ kind: 'stop', label: 'stop', changed: ended, ms: ended ? Date.now() - t1 : null });
  log(`  button stop: ${ended ? `the cell ended after ${Date.now() - t1} ms` : 'the cell did NOT end within 30 s'}`);
  return out;
}

// open loads the notebook's page and waits until its kernel is connected and
// has answered JupyterLab's kernel_info request.
async function open(page, name) {
  const path = config.app === 'notebook' ? 'notebooks' : 'lab/tree';
  // reset: start from an empty workspace, whatever an earlier page left.
  const query = new URLSearchParams();
  if (config.app !== 'notebook') query.set('reset', '');
  if (config.token) query.set('token', config.token);
  await page.goto(`${config.url}/${path}/${encodeURIComponent(name)}?${query}`);
  await page.waitForFunction((name) => {
    const w = globalThis.jupyterapp?.shell?.currentWidget;
    if (!(w && w.context?.path?.split('/').pop() === name && w.content?.widgets)) return false;
    const k = w.sessionContext.session?.kernel;
    return w.content.widgets.length > 0 && k?.connectionStatus === 'connected';
  }, name, { timeout: 120000, polling: 250 });
  await page.evaluate(async () => {
    const w = globalThis.jupyterapp.shell.currentWidget;
    await w.sessionContext.ready;
    await w.sessionContext.session.kernel.info;
  });
}

// restartRunAll runs Kernel > Restart Kernel and Run All Cells and clicks the
// dialog's Restart button.
async function restartRunAll(page) {
  await page.evaluate(() => { globalThis.jupyterapp.commands.execute('notebook:restart-run-all'); });
  const accept = page.locator('.jp-Dialog .jp-Dialog-button.jp-mod-accept');
  await accept.waitFor({ timeout: 30000 });
  await accept.click();
}

async function runNotebook(browser, nb) {
  const name = nb.name;
  const rep = { name, progress: [], rerun: [], controls: [], retried: [], console: [] };
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error') rep.console.push(m.text()); });
  page.on('pageerror', (e) => rep.console.push(String(e)));
  try {
    await open(page, name);
    await page.evaluate(() => globalThis.jupyterapp.commands.execute('notebook:clear-all-cell-outputs'));
    const t0 = Date.now();
    log(`${name}: Restart Kernel and Run All Cells`);
    await restartRunAll(page);
    const sampler = new Sampler(nb.progress);
    const exercised = new Set();
    const unconnected = [];
    let started = false;
    const ok = await waitUntil(page, name, (st) => {
      if (st.cells.some(running)) started = true;
      return started && st.idle && !st.cells.some(running);
    }, {
      timeoutMs: config.timeoutMs,
      onState: async (st) => {
        sampler.add(st);
        await follow(page, st, nb.progress);
        for (const i of nb.controls) {
          const c = st.cells[i];
          if (running(c) && c.controls > 0 && !exercised.has(i)) {
            exercised.add(i);
            log(`${name}: controls in cell ${i}`);
            const actions = await exercise(page, name, i);
            if (actions) {
              rep.controls.push({ cell: i, actions });
            } else {
              // The cell may wait for its widgets forever: end it, try again below.
              unconnected.push(i);
              await interrupt(page);
            }
          }
        }
      },
    });
    rep.timedOut = !ok;
    rep.seconds = (Date.now() - t0) / 1000;
    log(`${name}: run all ${ok ? 'finished' : 'TIMED OUT'} in ${rep.seconds.toFixed(1)} s`);
    // Controls that did not connect get two more tries, as a student would
    // re-run the cell.
    for (const i of ok ? unconnected : []) {
      for (let attempt = 2; attempt <= 3; attempt++) {
        log(`${name}: the controls of cell ${i} did not connect; running the cell again (attempt ${attempt})`);
        rep.retried.push(i);
        await runCell(page, name, i);
        await waitUntil(page, name, (st) => running(st.cells[i]) && st.cells[i].controls > 0, { timeoutMs: 120000, stableMs: 0 });
        const actions = await exercise(page, name, i);
        if (actions) rep.controls.push({ cell: i, actions });
        else await interrupt(page);
        await waitUntil(page, name, (st) => st.idle && !running(st.cells[i]), { timeoutMs: 120000 });
        if (actions) break;
      }
    }
    for (const i of nb.controls) {
      if (!rep.controls.some((c) => c.cell === i)) rep.controls.push({ cell: i, actions: [] });
    }
    rep.progress = nb.progress.map((i) => sampler.report(i));
    rep.notebook = await page.evaluate(() => globalThis.jupyterapp.shell.currentWidget.content.model.toJSON());
    // JupyterLab renders (and typesets) a cell when it first comes into view:
    // scroll through the notebook, then let MathJax finish.
    await page.evaluate(async () => {
      const w = globalThis.jupyterapp.shell.currentWidget;
      for (let k = 0; k < w.content.widgets.length; k++) {
        w.content.widgets[k].node.scrollIntoView();
        await new Promise((r) => setTimeout(r, 60));
      }
      await globalThis.MathJax?.startup?.promise;
      await new Promise((r) => setTimeout(r, 500));
    });
    rep.page = await page.evaluate(async () => {
      const nb = globalThis.jupyterapp.shell.currentWidget.content.node;
      const imgs = Array.from(nb.querySelectorAll('.jp-OutputArea-output img'));
      await Promise.all(imgs.map((im) => im.decode().catch(() => {})));
      const md = Array.from(nb.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown'));
      return {
        pngShown: imgs.filter((im) => im.src.startsWith('data:image/png') && im.complete && im.naturalWidth > 0).length,
        mathjax: nb.querySelectorAll('.jp-RenderedMarkdown mjx-container').length,
        mathjaxErrors: nb.querySelectorAll('.jp-RenderedMarkdown mjx-merror').length,
        rawDollars: md.filter((e) => /\$\$|\$[^$\s][^$]*\$/.test(e.textContent)).length,
      };
    });
    await shot(page, join(config.shots, name + '.png'));
    if (ok) {
      for (const i of nb.progress) {
        log(`${name}: re-running cell ${i}`);
        const again = new Sampler([i]);
        let seen = false;
        await runCell(page, name, i);
        const done = await waitUntil(page, name, (st) => {
          if (running(st.cells[i])) seen = true;
          return seen && st.idle && finished(st.cells[i]);
        }, { timeoutMs: config.timeoutMs, onState: async (st) => again.add(st) });
        rep.rerun.push({ ...again.report(i), timedOut: !done });
        await shot(page, join(config.shots, `${name}-rerun-${i}.png`));
      }
    }
  } catch (e) {
    rep.failure = String(e?.stack || e);
    log(`${name}: ${rep.failure}`);
    await shot(page, join(config.shots, name + '-failure.png'));
  } finally {
    // Shut the kernel down so that it does not keep a core busy, then close
    // the page.
    await page.evaluate(() => globalThis.jupyterapp.shell.currentWidget.sessionContext.shutdown()).catch(() => {});
    await page.close().catch(() => {});
  }
  return rep;
}

const browser = await chromium.launch({
  executablePath: config.chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const reports = [];
try {
  for (const nb of config.notebooks) {
    reports.push(await runNotebook(browser, nb));
    writeFileSync(resultPath, JSON.stringify(reports));
  }
} finally {
  await browser.close();
}
writeFileSync(resultPath, JSON.stringify(reports));
