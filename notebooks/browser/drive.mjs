// drive.mjs runs notebooks in Debian's Chromium against a classic Jupyter
// Notebook server, as a student would, and records what the page shows. It
// judges nothing: notebooks/browser_test.go decides what passes.
//
//   node drive.mjs CONFIG.json RESULT.json
//
// CONFIG: {url, chromium, shots, notebooks: [{name, progress: [cell index],
// controls: [cell index]}], timeoutMs}. For every notebook it opens the page,
// clears the outputs, runs Kernel > Restart & Run All, and while that runs
// samples the output of every "progress" cell and exercises every "controls"
// cell (each slider and select moved once, each button clicked, then the
// button labelled "stop"). After the run it records the notebook JSON as the
// browser holds it, the images the page shows and the MathJax elements, then
// re-runs each progress cell alone and samples it again. A full-page
// screenshot of every notebook goes to the shots folder. RESULT gets one
// report per notebook; the browser is closed whatever happens.

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
function pageState() {
  // sig is a short hash of a string (image data URLs are long).
  const sig = (s) => {
    let h = 2166136261;
    for (let i = 0; i < s.length; i += 3) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    return s.length + ':' + (h >>> 0).toString(16);
  };
  const nb = Jupyter.notebook;
  return {
    idle: !!document.querySelector('#kernel_indicator_icon.kernel_idle_icon'),
    cells: nb.get_cells().map((c) => {
      if (c.cell_type !== 'code') return null;
      const el = c.output_area.element[0];
      const imgs = Array.from(el.querySelectorAll('img'));
      return {
        prompt: c.input_prompt_number === undefined ? null : c.input_prompt_number,
        text: el.innerText,
        images: imgs.map((im) => sig(im.src)).join(' '),
        controls: el.querySelectorAll('input[type=range], select, button').length,
        hasStop: Array.from(el.querySelectorAll('button')).some((b) => b.innerText.trim().toLowerCase() === 'stop'),
      };
    }),
  };
}

const state = (page) => page.evaluate(pageState);

// shot saves a screenshot of the whole notebook. The classic Notebook scrolls
// inside #site, so that is unrolled first and restored after.
async function shot(page, path) {
  await page.evaluate(() => {
    const site = document.querySelector('#site');
    if (site) { site.dataset.h = site.style.height; site.style.height = 'auto'; site.style.overflow = 'visible'; }
    document.body.style.overflow = 'visible';
  }).catch(() => {});
  await page.screenshot({ path, fullPage: true }).catch((e) => log(`screenshot ${path}: ${e}`));
  await page.evaluate(() => {
    const site = document.querySelector('#site');
    if (site) { site.style.height = site.dataset.h; site.style.overflow = ''; }
    document.body.style.overflow = '';
  }).catch(() => {});
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
async function waitUntil(page, done, { timeoutMs, stableMs = 1500, onState = async () => {} }) {
  const end = Date.now() + timeoutMs;
  let since = null;
  while (Date.now() < end) {
    const st = await state(page);
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

// exercise moves every slider and select of controls cell i once and clicks
// every button but "stop", recording whether the cell's images change; then
// it clicks "stop". It returns null when the widgets never connected (no
// "stop" button within 20 s): GoNB gives the page 500 ms to answer its
// connection request, which a busy machine can miss.
async function exercise(page, i) {
  const out = [];
  const cellOut = page.locator('.cell').nth(i).locator('.output_area');
  const cellState = async () => (await state(page)).cells[i];
  // Wait for the controls to settle: nothing in the cell changes for 1.5 s,
  // and the "stop" button, which a cell builds last, is there (or 20 s passed:
  // widgets are built one by one, each once the page has acknowledged the one
  // before).
  let last = '';
  const t0 = Date.now();
  await waitUntil(page, (st) => {
    const c = st.cells[i];
    const key = c.text + c.images + c.controls;
    const same = key === last;
    last = key;
    return same && (c.hasStop || Date.now() - t0 > 20000);
  }, { timeoutMs: 60000 });
  if (!(await cellState()).hasStop) return null;

  const changeImage = async (kind, label, act) => {
    const before = (await cellState()).images;
    const t0 = Date.now();
    await act();
    let after = before;
    let ms = null;
    await waitUntil(page, (st) => {
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
    const label = await s.evaluate((el) => el.closest('tr')?.cells?.[0]?.innerText?.trim() || el.id);
    await changeImage('slider', label, () => s.evaluate((el) => {
      el.value = String(Number(el.value) === Number(el.min) ? el.max : el.min);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }));
  }
  const selects = cellOut.locator('select');
  for (let k = 0; k < (await selects.count()); k++) {
    const s = selects.nth(k);
    const label = await s.evaluate((el) => el.closest('tr')?.cells?.[0]?.innerText?.trim() || el.id);
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
    await waitUntil(page, (st) => {
      const c = st.cells[i];
      if (c.text !== before.text) texts.add(c.text);
      return c.images !== before.images;
    }, { timeoutMs: 90000, stableMs: 2000 });
    const after = await cellState();
    out.push({ kind: 'button', label, changed: after.images !== before.images, distinct: texts.size });
    log(`  button ${label}: ${texts.size} distinct outputs while working, image ${after.images !== before.images ? 'changed' : 'did NOT change'}`);
  }
  await stop.click();
  return out;
}

async function runNotebook(browser, nb) {
  const rep = { name: nb.name, progress: [], rerun: [], controls: [], retried: [], console: [] };
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error') rep.console.push(m.text()); });
  page.on('pageerror', (e) => rep.console.push(String(e)));
  try {
    await page.goto(`${config.url}/notebooks/${encodeURIComponent(nb.name)}`);
    await page.waitForFunction(() => globalThis.Jupyter?.notebook?.kernel?.is_connected?.()
      && document.querySelector('#kernel_indicator_icon.kernel_idle_icon'), null, { timeout: 120000 });
    await page.evaluate(() => {
      Jupyter.notebook.set_autosave_interval(0);
      Jupyter.notebook.clear_all_output();
    });
    const t0 = Date.now();
    log(`${nb.name}: Restart & Run All`);
    await page.evaluate(() => Jupyter.notebook.restart_run_all({ confirm: false }));
    const sampler = new Sampler(nb.progress);
    const exercised = new Set();
    const unconnected = [];
    let started = false;
    const ok = await waitUntil(page, (st) => {
      if (st.cells.some(running)) started = true;
      return started && st.idle && !st.cells.some(running);
    }, {
      timeoutMs: config.timeoutMs,
      onState: async (st) => {
        sampler.add(st);
        for (const i of nb.controls) {
          const c = st.cells[i];
          if (running(c) && c.controls > 0 && !exercised.has(i)) {
            exercised.add(i);
            log(`${nb.name}: controls in cell ${i}`);
            const actions = await exercise(page, i);
            if (actions) {
              rep.controls.push({ cell: i, actions });
            } else {
              // The cell may wait for its widgets forever: end it, try again below.
              unconnected.push(i);
              await page.evaluate(() => Jupyter.notebook.kernel.interrupt());
            }
          }
        }
      },
    });
    rep.timedOut = !ok;
    rep.seconds = (Date.now() - t0) / 1000;
    log(`${nb.name}: run all ${ok ? 'finished' : 'TIMED OUT'} in ${rep.seconds.toFixed(1)} s`);
    // Controls that did not connect get two more tries, as a student would
    // re-run the cell.
    for (const i of ok ? unconnected : []) {
      for (let attempt = 2; attempt <= 3; attempt++) {
        log(`${nb.name}: the controls of cell ${i} did not connect; running the cell again (attempt ${attempt})`);
        rep.retried.push(i);
        await page.evaluate((k) => Jupyter.notebook.get_cell(k).execute(), i);
        await waitUntil(page, (st) => running(st.cells[i]) && st.cells[i].controls > 0, { timeoutMs: 120000, stableMs: 0 });
        const actions = await exercise(page, i);
        if (actions) rep.controls.push({ cell: i, actions });
        else await page.evaluate(() => Jupyter.notebook.kernel.interrupt());
        await waitUntil(page, (st) => st.idle && !running(st.cells[i]), { timeoutMs: 120000 });
        if (actions) break;
      }
    }
    for (const i of nb.controls) {
      if (!rep.controls.some((c) => c.cell === i)) rep.controls.push({ cell: i, actions: [] });
    }
    rep.progress = nb.progress.map((i) => sampler.report(i));
    if (ok) {
      await page.evaluate(() => new Promise((r) => (globalThis.MathJax?.Hub ? MathJax.Hub.Queue(r) : r())));
    }
    rep.notebook = await page.evaluate(() => Jupyter.notebook.toJSON());
    rep.page = await page.evaluate(() => {
      const imgs = Array.from(document.querySelectorAll('.output_area img'));
      const md = Array.from(document.querySelectorAll('.text_cell_render'));
      return {
        pngShown: imgs.filter((im) => im.src.startsWith('data:image/png') && im.complete && im.naturalWidth > 0).length,
        mathjax: document.querySelectorAll('.text_cell_render .MathJax, .text_cell_render .MathJax_Display, .text_cell_render mjx-container').length,
        mathjaxErrors: document.querySelectorAll('.MathJax_Error, .text_cell_render merror').length,
        rawDollars: md.filter((e) => /\$\$|\$[^$\s][^$]*\$/.test(e.innerText)).length,
      };
    });
    await shot(page, join(config.shots, nb.name + '.png'));
    if (ok) {
      for (const i of nb.progress) {
        log(`${nb.name}: re-running cell ${i}`);
        const again = new Sampler([i]);
        let seen = false;
        await page.evaluate((k) => Jupyter.notebook.get_cell(k).execute(), i);
        const done = await waitUntil(page, (st) => {
          if (running(st.cells[i])) seen = true;
          return seen && st.idle && finished(st.cells[i]);
        }, { timeoutMs: config.timeoutMs, onState: async (st) => again.add(st) });
        rep.rerun.push({ ...again.report(i), timedOut: !done });
        await shot(page, join(config.shots, `${nb.name}-rerun-${i}.png`));
      }
    }
  } catch (e) {
    rep.failure = String(e?.stack || e);
    log(`${nb.name}: ${rep.failure}`);
    await shot(page, join(config.shots, nb.name + '-failure.png'));
  } finally {
    // Stop the kernel so that it does not keep a core busy, then close the page.
    await page.evaluate(() => Jupyter.notebook.session.delete()).catch(() => {});
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
