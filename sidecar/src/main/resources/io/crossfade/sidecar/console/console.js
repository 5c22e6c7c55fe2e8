// Crossfade console: watches and steers the migrations of the sidecar that serves this page, through
// its admin API. No library, no build step. Data is only ever put into the page as text
// (textContent, SVG attributes), never as markup. The admin token lives in this tab's
// sessionStorage and travels only in the Authorization header.
(function () {
  'use strict';

  const TOKEN_KEY = 'crossfade.adminToken';
  const POLL_MS = 500;            // live updates: the admin API is polled with If-None-Match
  const INSTANCE_POLL_MS = 2000;
  const HISTORY_REFRESH_MS = 10000;
  const MAX_EVENTS_SHOWN = 200;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const $ = (id) => document.getElementById(id);

  const state = {
    token: null,
    listEtag: null,
    migrations: new Map(),   // key -> latest view from the API
    cards: new Map(),        // key -> card controller
    lastSeq: null,           // newest audit event shown
    lastInstancePoll: 0,
    timer: null,
    polling: false,
    live: 'off',
    generation: 0,           // bumped on disconnect so that late answers of an old session are ignored
  };

  // ---------------------------------------------------------------- formatting

  /** A percent as the API has it, with three decimals: 12.5 -> "12.500 %". */
  function fmtPercent(p) {
    if (p === null || p === undefined || p === '') return '–';
    const n = Number(p);
    return Number.isFinite(n) ? n.toFixed(3) + ' %' : String(p);
  }

  /** An error rate (0..1) as a percent with two decimals, like the guard's own sentences. */
  function fmtRate(r) {
    if (r === null || r === undefined) return '–';
    const n = Number(r);
    return Number.isFinite(n) ? (n * 100).toFixed(2) + ' %' : String(r);
  }

  /** A limit (0..1) in words: 0.05 -> "5 %", 0.025 -> "2.5 %". */
  function fmtLimit(r) {
    const n = Number(r);
    return Number.isFinite(n) ? String(+(n * 100).toFixed(3)) + ' %' : '–';
  }

  const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';

  /** 10 to the power n, as a person writes it: 10¹⁷. */
  function powerOfTen(n) {
    return '10' + String(Math.round(n)).split('').map((d) => d === '-' ? '⁻' : SUPERSCRIPT[Number(d)]).join('');
  }

  /**
   * Share of the way to a halt in words. Up to the line, a percent; past it (the evidence grows
   * without bound once a regression is plain), a power of ten against the line's, never the raw
   * evidence, whose 18 digits tell an operator nothing.
   */
  function fmtTowardsHalt(percent, threshold) {
    const p = Number(percent);
    if (!Number.isFinite(p)) return '–';
    if (p < 100) return Math.max(0, Math.floor(p)) + ' % of the way to a halt';
    if (p === 100) return 'at the line: enough to halt';
    const line = Number(threshold) > 1 ? Math.log10(Number(threshold)) : 2;
    const past = p >= 200 ? 'far past the line' : 'past the line';
    const exponent = line * p / 100;
    // beyond a double's range (the API's stand-in for infinity) a power of ten would only look precise
    if (exponent >= 300) return past + ': overwhelming evidence, where ' + powerOfTen(line) + ' halts';
    return past + ': evidence about ' + powerOfTen(exponent) + ' where ' + powerOfTen(line) + ' halts';
  }

  /** One test's martingale as a share of the way to the line, as the guard computes the combined one. */
  function shareOfLine(value, threshold) {
    const v = Number(value); const t = Number(threshold);
    if (!Number.isFinite(v) || !(t > 1)) return NaN;
    return v <= 1 ? 0 : Math.floor(Math.log(v) / Math.log(t) * 100);
  }

  function fmtJson(v) {
    if (v === undefined) return '–';
    return JSON.stringify(v);
  }

  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return '–';
    let s = Math.max(0, Math.round(Number(seconds)));
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    if (h > 0) return h + 'h ' + m + 'm';
    if (m > 0) return m + 'm ' + s + 's';
    return s + 's';
  }

  /** An ISO instant to the second, in UTC as the API has it: 2026-06-02T09:12:41.5Z -> 2026-06-02 09:12:41Z. */
  function fmtTime(iso) {
    if (!iso) return '–';
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
    return m ? m[1] + ' ' + m[2] + 'Z' : iso;
  }

  /** The smallest of 1, 2, 5 × 10^n at or above x (for a chart's axis). */
  function niceCeiling(x) {
    if (!(x > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(x)));
    for (const f of [1, 2, 5, 10]) if (f * p >= x * 0.9999) return f * p;
    return 10 * p;
  }

  function fmtTransition(t) {
    if (!t || typeof t !== 'object') return '(none)';
    return fmtPercent(t.percent) + ' ' + (t.state || '');
  }

  function text(el, value) {
    const s = value === null || value === undefined || value === '' ? '–' : String(value);
    if (el.textContent !== s) el.textContent = s;
  }

  function tone(status) {
    switch (status) {
      case 'running': case 'healthy': case 'completed': return 'ok';
      case 'paused': case 'waiting_for_samples': case 'tripping': return 'warn';
      case 'halted': case 'rolled_back': case 'tripped': return 'bad';
      default: return 'idle';
    }
  }

  function badge(el, status) {
    text(el, status ? String(status).replace(/_/g, ' ') : 'unknown');
    el.dataset.tone = tone(status);
  }

  // The guard's part of a view: tolerate it moving from health.guard to the top level.
  function guardOf(view) {
    if (view.health && view.health.guard) return view.health.guard;
    if (view.guard && typeof view.guard === 'object' && view.guard.status) return view.guard;
    return null;
  }

  function rampOf(view) {
    return (view.health && view.health.ramp) || null;
  }

  // ---------------------------------------------------------------- the admin API

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  // what cohorts.js needs of this page: the admin calls and the shared state
  window.crossfadeConsole = {
    api: function () { return api.apply(null, arguments); },
    state: function () { return state; },
  };

  async function api(method, path, options) {
    const opts = options || {};
    const headers = { 'Accept': 'application/json' };
    if (opts.auth !== false) headers['Authorization'] = 'Bearer ' + (opts.token || state.token);
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    if (opts.ifMatch !== undefined && opts.ifMatch !== null) headers['If-Match'] = '"' + opts.ifMatch + '"';
    if (opts.etag) headers['If-None-Match'] = opts.etag;
    let res;
    try {
      res = await fetch(path, {
        method: method,
        headers: headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        cache: 'no-store',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        redirect: 'error',
      });
    } catch (e) {
      throw new ApiError(0, 'unreachable', 'Cannot reach the sidecar at ' + location.host + ': is it running?');
    }
    if (res.status === 304) return { status: 304, etag: res.headers.get('ETag'), body: null };
    let body = null;
    const type = res.headers.get('Content-Type') || '';
    if (type.indexOf('json') >= 0) {
      try { body = await res.json(); } catch (e) { body = null; }
    }
    if (!res.ok) {
      const message = body && body.message ? body.message : 'the sidecar answered ' + res.status;
      throw new ApiError(res.status, body && body.error ? body.error : String(res.status), message);
    }
    return { status: res.status, etag: res.headers.get('ETag'), body: body };
  }

  // ---------------------------------------------------------------- connecting

  function refusedSentence(err) {
    return 'The sidecar refused this token: ' + err.message + '. Check that you copied the whole token from '
      + '<state>/admin.token or from the file given to --admin-token-file, and try again.';
  }

  async function connect(token, fromStorage) {
    $('token-error').textContent = '';
    try {
      const answer = await api('GET', '/admin/v1/migrations', { token: token });
      state.token = token;
      sessionStorage.setItem(TOKEN_KEY, token);
      $('token').value = '';
      showConnected(true);
      applyList(answer);
      await loadRecentEvents();
      pollInstances(true);
      schedule();
    } catch (err) {
      if (err.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        $('token-error').textContent = fromStorage
          ? 'The token kept in this tab was refused (it may have been rotated): ' + err.message + '. Enter the current one.'
          : refusedSentence(err);
        $('token').setAttribute('aria-invalid', 'true');
        $('token').focus();
      } else {
        $('token-error').textContent = err.message;
      }
    }
  }

  function disconnect(sentence) {
    state.generation++;
    clearTimeout(state.timer);
    state.token = null;
    state.listEtag = null;
    state.lastSeq = null;
    state.migrations.clear();
    state.cards.clear();
    sessionStorage.removeItem(TOKEN_KEY);
    $('migrations').replaceChildren();
    document.querySelector('#events tbody').replaceChildren();
    $('instances').replaceChildren();
    $('store').hidden = true;
    showConnected(false);
    if (sentence) {
      $('token-error').textContent = sentence;
      $('token').setAttribute('aria-invalid', 'true');
    }
    $('token').focus();
  }

  function showConnected(on) {
    $('login').hidden = on;
    $('forget').hidden = !on;
    $('migrations-section').hidden = !on;
    $('events-section').hidden = !on;
    $('instances-section').hidden = !on;
    $('notice').hidden = true;
    setLive(on ? 'on' : 'off');
  }

  function setLive(mode, detail) {
    const label = mode === 'on' ? 'Live' : mode === 'stale' ? 'Reconnecting…' : 'Not connected';
    const live = $('live');
    if (state.live !== mode) {
      $('live-announce').textContent = label;
      state.live = mode;
    }
    live.dataset.state = mode;
    $('live-text').textContent = detail ? label + ' · ' + detail : label;
  }

  // ---------------------------------------------------------------- polling

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    if (!state.token || state.polling) return;
    state.polling = true;
    const generation = state.generation;
    try {
      await refreshList();
      await refreshEvents();
      pollInstances(false);
      if (generation !== state.generation) return;
      $('notice').hidden = true;
      setLive('on', 'updated ' + new Date().toLocaleTimeString());
    } catch (err) {
      if (generation !== state.generation) return;
      if (err.status === 401) {
        disconnect('The sidecar no longer accepts the token of this tab (' + err.message + '). Enter the current token.');
        return;
      }
      setLive('stale');
      $('notice').textContent = err.message;
      $('notice').hidden = false;
    } finally {
      state.polling = false;
      if (generation === state.generation && state.token) schedule();
    }
  }

  async function refreshList() {
    const generation = state.generation;
    const answer = await api('GET', '/admin/v1/migrations', { etag: state.listEtag });
    if (generation !== state.generation) return;
    if (answer.status === 304) return;
    applyList(answer);
  }

  /** Forces the next list request to fetch the body, and fetches it now. */
  async function refreshNow() {
    state.listEtag = null;
    await refreshList();
  }

  function applyList(answer) {
    state.listEtag = answer.etag;
    const list = (answer.body && Array.isArray(answer.body.migrations)) ? answer.body.migrations : [];
    const seen = new Set();
    const container = $('migrations');
    list.forEach((view, index) => {
      if (!view || !view.key) return;
      seen.add(view.key);
      state.migrations.set(view.key, view);
      let card = state.cards.get(view.key);
      if (!card) {
        card = new MigrationCard(view.key);
        state.cards.set(view.key, card);
      }
      if (container.children[index] !== card.root) container.insertBefore(card.root, container.children[index] || null);
      card.update(view);
    });
    for (const [key, card] of state.cards) {
      if (!seen.has(key)) {
        card.root.remove();
        state.cards.delete(key);
        state.migrations.delete(key);
      }
    }
    $('no-migrations').hidden = list.length > 0;
  }

  // ---------------------------------------------------------------- audit events

  async function loadRecentEvents() {
    const head = await api('GET', '/admin/v1/events?limit=1');
    const last = head.body && typeof head.body.lastSeq === 'number' ? head.body.lastSeq : 0;
    state.lastSeq = Math.max(0, last - 100);
    await refreshEvents(true);
  }

  async function refreshEvents(initial) {
    if (state.lastSeq === null) return;
    const generation = state.generation;
    let more = true;
    while (more) {
      const answer = await api('GET', '/admin/v1/events?since=' + encodeURIComponent(state.lastSeq) + '&limit=1000');
      if (generation !== state.generation) return;
      const body = answer.body || {};
      const events = Array.isArray(body.events) ? body.events : [];
      events.forEach((e) => addEvent(e, !initial));
      if (typeof body.next === 'number') state.lastSeq = body.next;
      more = body.more === true && events.length > 0;
    }
    $('no-events').hidden = document.querySelector('#events tbody').children.length > 0;
  }

  const EVENT_COLUMNS = ['Seq', 'Time', 'Actor', 'Key', 'Action', 'Change', 'Reason'];

  function addEvent(e, fresh) {
    const tbody = document.querySelector('#events tbody');
    const tr = document.createElement('tr');
    tr.dataset.seq = e.seq;
    if (fresh) tr.className = 'fresh';
    const cells = [
      e.seq,
      e.time,
      e.instance ? e.actor + ' @ ' + e.instance : e.actor,
      e.key,
      e.action,
      fmtTransition(e.from) + ' → ' + fmtTransition(e.to),
      e.reason,
    ];
    cells.forEach((value, i) => {
      const td = document.createElement('td');
      td.dataset.label = EVENT_COLUMNS[i]; // shown before each value where the table stacks (phones)
      if (i === 6) td.className = 'reason';
      if (i === 1) {
        const t = document.createElement('time');
        t.dateTime = e.time || '';
        t.title = e.time || '';
        t.textContent = fmtTime(e.time);
        td.appendChild(t);
      } else {
        td.textContent = value === null || value === undefined || value === '' ? '–' : String(value);
      }
      tr.appendChild(td);
    });
    tbody.insertBefore(tr, tbody.firstChild);
    while (tbody.children.length > MAX_EVENTS_SHOWN) tbody.removeChild(tbody.lastChild);
    if (fresh) setTimeout(() => tr.classList.remove('fresh'), 4000);
  }

  // ---------------------------------------------------------------- instances

  /**
   * The instances: /ready first (no token needed); only when it says the store is shared (a fleet)
   * is /admin/v1/instances asked, so a sidecar on its own state directory never answers a 404.
   */
  async function pollInstances(force) {
    const now = Date.now();
    if (!force && now - state.lastInstancePoll < INSTANCE_POLL_MS) return;
    state.lastInstancePoll = now;
    const generation = state.generation;
    try {
      const ready = await api('GET', '/ready', { auth: false });
      if (generation !== state.generation) return;
      const body = ready.body || {};
      renderStore(body.store);
      if (body.store) {
        const answer = await api('GET', '/admin/v1/instances');
        if (generation !== state.generation) return;
        const list = answer.body && Array.isArray(answer.body.instances) ? answer.body.instances : [];
        renderInstances(list);
      } else {
        renderThisInstance(body);
      }
    } catch (err) {
      // the main poll reports reachability; a failed instance poll is retried on the next round
    }
  }

  /** The shared store's state in one sentence; hidden for a sidecar on its own state directory. */
  function renderStore(store) {
    const el = $('store');
    if (!store || typeof store !== 'object') {
      el.hidden = true;
      return;
    }
    const where = (store.type || 'store') + (store.endpoint ? ' at ' + store.endpoint : '')
      + (store.fleet ? ', fleet ' + store.fleet : '');
    const pending = Array.isArray(store.pendingStoreWrite) && store.pendingStoreWrite.length
      ? ' Changes made here and not in the store yet: ' + store.pendingStoreWrite.join(', ') + '.' : '';
    const serving = store.servingFrom === 'cache' ? ' This sidecar serves its cached copy of the fleet state.'
      : store.servingFrom === 'files' ? ' This sidecar serves the files’ starting percents.' : '';
    const sentence = store.connected
      ? 'Fleet store connected: ' + where + ', since ' + fmtTime(store.since) + '.' + serving + pending
      : 'Fleet store disconnected: ' + where + ' cannot be reached since ' + fmtTime(store.since)
        + '. Reads go on from the last state; operator changes are refused until it is back.' + serving + pending;
    text(el, sentence);
    el.dataset.tone = store.connected ? 'ok' : 'bad';
    el.dataset.connected = store.connected ? 'true' : 'false';
    el.hidden = false;
  }

  function factList(pairs) {
    const dl = document.createElement('dl');
    pairs.forEach(([name, value]) => {
      const div = document.createElement('div');
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.textContent = value === null || value === undefined || value === '' ? '–' : String(value);
      div.append(dt, dd);
      dl.appendChild(div);
    });
    return dl;
  }

  function renderThisInstance(ready) {
    const src = ready.source || {};
    const box = document.createElement('div');
    box.className = 'instance';
    const h = document.createElement('h3');
    h.textContent = 'This instance' + (ready.instanceId ? ' (' + ready.instanceId + ')' : '');
    const reloadError = src.reloadError && Array.isArray(src.reloadError.problems)
      ? src.reloadError.problems.map((p) => p.message).join('; ') : null;
    box.append(h, factList([
      ['Ops address', location.host],
      ['Status', ready.status],
      ['Snapshot version', ready.version],
      ['Source', (src.type || '') + ' ' + (src.location || '')],
      ['Source version', src.version],
      ['Loaded at', src.loadedAt],
      ['Last known good copy', src.lastKnownGood === true ? 'yes: the settings files are broken' : 'no'],
      ['Last reload error', reloadError || 'none'],
      ['Settings', ready.settings],
    ]));
    $('instances').replaceChildren(box);
  }

  function renderInstances(list) {
    const boxes = list.map((inst) => {
      const box = document.createElement('div');
      box.className = 'instance';
      const h = document.createElement('h3');
      h.textContent = inst.id || 'instance';
      box.append(h, factList([
        ['Ops address', inst.opsAddress],
        ['Last seen', inst.lastSeen],
        ['Spec version', inst.specVersion],
        ['Convergence', convergence(inst.migrations)],
        ['Outcomes', summarize(inst.outcomes)],
      ]));
      return box;
    });
    if (boxes.length === 0) {
      const p = document.createElement('p');
      p.textContent = 'No instance has reported yet.';
      boxes.push(p);
    }
    $('instances').replaceChildren(...boxes);
  }

  /** Whether an instance serves each migration as the fleet state says; tolerant of the shape. */
  function convergence(migrations) {
    if (!migrations || typeof migrations !== 'object') return 'unknown';
    const behind = [];
    const entries = Array.isArray(migrations)
      ? migrations.map((m) => [m && m.key, m]) : Object.entries(migrations);
    for (const [key, m] of entries) {
      const view = key ? state.migrations.get(key) : null;
      if (!view || !m || typeof m !== 'object') continue;
      const want = view.state || {};
      if ((m.revision !== undefined && m.revision !== view.revision)
          || (m.percent !== undefined && Number(m.percent) !== Number(want.percent))
          || (m.state !== undefined && m.state !== want.state)) {
        behind.push(key + ' at ' + fmtPercent(m.percent) + ' ' + (m.state || '') + (m.revision !== undefined ? ' (revision ' + m.revision + ')' : ''));
      }
    }
    return behind.length === 0 ? 'converged' : 'behind: ' + behind.join('; ');
  }

  /** An instance's guard counts by key, as "key: old ok/errors, new ok/errors"; other shapes as JSON. */
  function summarize(value) {
    if (value === null || value === undefined) return '–';
    if (typeof value !== 'object') return String(value);
    const side = (v) => v && typeof v === 'object' && 'ok' in v ? v.ok + ' ok / ' + v.errors + ' errors' : JSON.stringify(v);
    const parts = Object.entries(value).map(([key, v]) => v && typeof v === 'object' && (v.old || v.new)
      ? key + ': old ' + side(v.old) + ', new ' + side(v.new) : key + ': ' + JSON.stringify(v));
    return parts.length ? parts.join('; ') : 'none';
  }

  // ---------------------------------------------------------------- confirmation

  function confirmAction(title, sentence, okLabel) {
    const dialog = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = sentence;
    $('confirm-ok').textContent = okLabel;
    return new Promise((resolve) => {
      const done = (answer) => {
        $('confirm-ok').onclick = null;
        $('confirm-cancel').onclick = null;
        dialog.onclose = null;
        if (dialog.open) dialog.close();
        resolve(answer);
      };
      $('confirm-ok').onclick = () => done(true);
      $('confirm-cancel').onclick = () => done(false);
      dialog.onclose = () => done(false); // Escape
      dialog.showModal();
      $('confirm-cancel').focus();
    });
  }

  // ---------------------------------------------------------------- one migration

  const PERCENT_PATTERN = /^(100(\.0{1,3})?|[0-9]{1,2}(\.[0-9]{1,3})?)$/;

  class MigrationCard {
    constructor(key) {
      this.key = key;
      this.root = $('migration-template').content.firstElementChild.cloneNode(true);
      this.root.dataset.key = key;
      this.q = (sel) => this.root.querySelector(sel);
      this.view = null;
      this.pinnedRevision = null;   // the revision the operator started editing from
      this.historyRevision = null;
      this.historyAt = 0;
      this.history = null;
      this.busy = false;

      const title = this.q('.key');
      title.id = 'migration-' + key.replace(/[^a-z0-9_-]/gi, '_');
      this.root.setAttribute('aria-labelledby', title.id);

      const form = this.q('.actions');
      const slider = this.q('.slider');
      const exact = this.q('.exact');
      const reason = this.q('.reason-input');
      slider.setAttribute('aria-describedby', title.id);
      slider.addEventListener('input', () => {
        this.pin();
        exact.value = Number(slider.value).toFixed(3);
        exact.removeAttribute('aria-invalid');
      });
      exact.addEventListener('input', () => {
        this.pin();
        const n = Number(exact.value);
        if (exact.value !== '' && Number.isFinite(n)) slider.value = String(Math.round(n));
        exact.removeAttribute('aria-invalid');
      });
      reason.addEventListener('input', () => {
        this.pin();
        reason.removeAttribute('aria-invalid');
      });
      form.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape' && this.pinnedRevision !== null) {
          ev.preventDefault();
          this.discardEdits();
        }
      });
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        this.setPercent();
      });
      this.q('.pause').addEventListener('click', () => this.act('pause', 'Pause'));
      this.q('.resume').addEventListener('click', () => this.act('resume', 'Resume'));
      this.q('.rollback').addEventListener('click', () => this.act('rollback', 'Rollback', {
        title: 'Roll back ' + key + '?',
        sentence: 'Everyone goes back to the old value ' + fmtJson(this.view && this.view.spec ? this.view.spec.from : undefined)
          + ' and the percent becomes 0.',
        ok: 'Roll back',
      }));
      this.q('.complete').addEventListener('click', () => this.act('complete', 'Complete', {
        title: 'Complete ' + key + '?',
        sentence: 'Everyone gets the new value ' + fmtJson(this.view && this.view.spec ? this.view.spec.to : undefined)
          + ' for good and the migration ends. Update the settings file afterwards.',
        ok: 'Complete',
      }));
    }

    /** From the first edit on, actions are conditional on the revision the operator was looking at. */
    pin() {
      if (this.pinnedRevision === null && this.view) this.pinnedRevision = this.view.revision;
      this.updateEditNote();
    }

    /** Escape in the form: back to what the sidecar has, following live updates again. */
    discardEdits() {
      this.unpin();
      this.q('.reason-input').value = '';
      this.q('.reason-input').removeAttribute('aria-invalid');
      this.q('.exact').removeAttribute('aria-invalid');
      if (this.view && this.view.state && Number.isFinite(Number(this.view.state.percent))) {
        this.showPercent(Number(this.view.state.percent));
      }
      this.message('Edits discarded; the form follows the sidecar again.');
    }

    unpin() {
      this.pinnedRevision = null;
      this.updateEditNote();
    }

    updateEditNote() {
      const note = this.q('.edit-note');
      const current = this.view ? this.view.revision : null;
      if (this.pinnedRevision !== null && current !== null && current !== this.pinnedRevision) {
        note.textContent = 'Changed since you started editing: revision ' + this.pinnedRevision + ' is now '
          + current + '. Acting now will be refused; look at the new state first.';
        note.hidden = false;
      } else {
        note.hidden = true;
      }
    }

    message(sentence, toneName) {
      const el = this.q('.card-message');
      el.textContent = sentence || '';
      if (toneName) el.dataset.tone = toneName; else delete el.dataset.tone;
    }

    update(view) {
      const previousRevision = this.view ? this.view.revision : null;
      this.view = view;
      const spec = view.spec || {};
      const st = view.state || {};
      text(this.q('.key'), view.key);
      badge(this.q('.state'), st.state);
      text(this.q('.percent'), fmtPercent(st.percent));
      text(this.q('.from'), fmtJson(spec.from));
      text(this.q('.to'), fmtJson(spec.to));
      text(this.q('.owner'), spec.owner);
      text(this.q('.expected'), spec.expected);
      text(this.q('.rollback-note'), spec.rollback);
      text(this.q('.revision'), view.revision);
      text(this.q('.source'), spec.source);
      this.renderSteps(spec, st, rampOf(view));
      this.renderGuard(guardOf(view), spec.guard);
      this.renderActions(view);
      this.renderReason(st.reason, guardOf(view));
      // the cohorts section (cohorts.js), kept apart from the card's own code
      if (window.crossfadeCohorts) window.crossfadeCohorts.render(this, view);

      if (this.pinnedRevision === null) {
        const p = Number(st.percent);
        if (Number.isFinite(p)) {
          const slider = this.q('.slider');
          const exact = this.q('.exact');
          // a field the operator is in is left alone, even before the first keystroke pins the revision
          if (document.activeElement !== slider && document.activeElement !== exact) this.showPercent(p);
        }
      }
      this.updateEditNote();
      this.refreshHistory(previousRevision !== view.revision);
    }

    /** The last change's reason; the guard's trip sentence is not repeated here (it is under "At the trip"). */
    renderReason(reason, guard) {
      const trip = guard && guard.lastTrip && typeof guard.lastTrip === 'object' ? guard.lastTrip : null;
      if (trip && reason && reason === trip.reason) {
        text(this.q('.reason'), 'the guard’s trip at ' + fmtTime(trip.at) + ' (its reason is under “At the trip”)');
      } else {
        text(this.q('.reason'), reason);
      }
    }

    showPercent(p) {
      this.q('.slider').value = String(Math.round(p));
      this.q('.exact').value = p.toFixed(3);
    }

    renderSteps(spec, st, ramp) {
      const dd = this.q('.steps');
      const steps = Array.isArray(spec.steps) ? spec.steps : [];
      if (steps.length === 0) {
        text(dd, 'none: the percent moves only when an operator sets it');
        return;
      }
      const current = st.ramp && typeof st.ramp.step === 'number' ? st.ramp.step : null;
      const parts = [];
      steps.forEach((s, i) => {
        const span = document.createElement('span');
        span.textContent = fmtPercent(s.percent) + (s.hold ? ' for ' + s.hold : '');
        if (current === i + 1) {
          span.className = 'current';
          span.setAttribute('aria-current', 'step');
        }
        if (i > 0) parts.push(document.createTextNode(' → '));
        parts.push(span);
      });
      const progress = document.createElement('div');
      if (ramp && ramp.message) {
        progress.textContent = ramp.message;
      } else if (st.ramp) {
        progress.textContent = 'step ' + st.ramp.step + ' of ' + st.ramp.of + ', held ' + fmtDuration(st.ramp.heldSeconds)
          + (st.ramp.holding ? '' : ' (hold clock stopped)');
      } else if (st.manual) {
        progress.textContent = 'off the ramp: set by hand; Resume puts it back';
      }
      if (st.manual && (ramp || st.ramp)) progress.textContent += ' (off the ramp: set by hand; Resume puts it back)';
      parts.push(progress);
      dd.replaceChildren(...parts);
    }

    renderGuard(guard, rule) {
      const trip = guard && guard.lastTrip && typeof guard.lastTrip === 'object' ? guard.lastTrip : null;
      const stopped = guard && (guard.status === 'tripped' || guard.status === 'tripping');
      if (!guard) {
        badge(this.q('.guard-status'), 'unknown');
        text(this.q('.guard-message'), 'The guard has not reported on this migration yet.');
      } else if (stopped && trip && guard.message === trip.reason) {
        // the trip's sentence is shown once, under "At the trip", with the values it was decided on
        badge(this.q('.guard-status'), guard.status);
        text(this.q('.guard-message'), 'The guard ' + (trip.action === 'rollback' ? 'rolled this migration back' : 'halted this migration')
          + ' at ' + fmtTime(trip.at) + '; what it saw then is under “At the trip” below.');
      } else {
        badge(this.q('.guard-status'), guard.status);
        text(this.q('.guard-message'), guard.message);
      }
      const window = guard && guard.window ? guard.window : (rule && rule.window) || '–';
      text(this.q('.rates-label'), 'Now: the live window, the last ' + window);
      const outcomes = (guard && guard.outcomes) || {};
      ['old', 'new'].forEach((variant) => {
        const row = this.q('.rates tr.' + variant);
        const o = outcomes[variant] || {};
        text(row.querySelector('.ok'), o.ok);
        text(row.querySelector('.errors'), o.errors);
        const rate = row.querySelector('.rate');
        text(rate, fmtRate(o.errorRate));
        rate.title = o.errorRate === null || o.errorRate === undefined ? '' : String(o.errorRate);
      });
      const r = (guard && guard.rule) || rule || {};
      text(this.q('.guard-rule'), 'Rule: halts when the new value’s error rate is above the ' + fmtLimit(r.maxErrorRate)
        + ' limit, or when it fails at least ' + (r.maxRatio === undefined ? '–' : r.maxRatio) + '× as often as the old value, '
        + 'each with ' + (r.confidence === undefined ? '–' : fmtLimit(r.confidence)) + ' confidence; the comparison needs '
        + (r.minSamples === undefined ? '–' : r.minSamples) + ' new-value outcomes in ' + window + '; then '
        + (r.action === 'rollback' ? 'rolls back' : r.action === 'halt' ? 'halts' : (r.action || '–')) + '.');
      this.renderEvidence(guard ? guard.evidence : undefined, r);
      const box = this.q('.last-trip');
      if (trip) {
        text(this.q('.last-trip-title'), 'At the trip, ' + fmtTime(trip.at) + ' (' + (trip.action === 'rollback' ? 'rolled back' : 'halted')
          + '): the values then, not now');
        text(this.q('.last-trip-reason'), trip.reason);
        box.hidden = false;
      } else {
        box.hidden = true;
      }
    }

    /**
     * The guard's evidence as shares of the way to a halt, in words: the combined figure the guard
     * acts on, then each of its two tests. Never the raw martingales (18-digit numbers past the line).
     */
    renderEvidence(evidence, rule) {
      const dl = this.q('.evidence');
      if (!evidence || typeof evidence !== 'object' || typeof evidence.percentToHalt !== 'number') {
        dl.hidden = true;
        return;
      }
      const r = rule || {};
      const pairs = [];
      pairs.push(['Evidence towards a halt, both tests together', fmtTowardsHalt(evidence.percentToHalt, evidence.threshold),
        evidence.percentToHalt]);
      const ceiling = shareOfLine(evidence.ceiling, evidence.threshold);
      if (Number.isFinite(ceiling)) {
        pairs.push(['New value’s error rate above the ' + fmtLimit(r.maxErrorRate) + ' limit',
          fmtTowardsHalt(ceiling, evidence.threshold), ceiling]);
      }
      const ratio = shareOfLine(evidence.ratio, evidence.threshold);
      if (Number.isFinite(ratio)) {
        pairs.push(['New value failing more often than the old' + (r.maxRatio !== undefined ? ' (halts from ' + r.maxRatio + '× on)' : ''),
          fmtTowardsHalt(ratio, evidence.threshold), ratio]);
      }
      if (typeof evidence.judges === 'string' && evidence.judges) {
        // what the guard can and cannot judge yet, in its own words
        pairs.push(['What the guard judges', evidence.judges + (typeof evidence.unitsOnNew === 'number'
          ? ' (' + evidence.unitsOnNew + '+ units on the new value reported)' : '')]);
      }
      if (evidence.since && typeof evidence.since === 'object') {
        pairs.push(['Outcomes weighed since it last started running', summarize({ since: evidence.since }).replace(/^since: /, '')]);
      }
      const items = pairs.map(([k, v, meter]) => {
        const div = document.createElement('div');
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = v === null || v === undefined ? '–' : String(v);
        if (typeof meter === 'number') {
          const bar = document.createElement('progress');
          bar.max = 100;
          bar.value = Math.max(0, Math.min(100, meter));
          bar.setAttribute('aria-label', k);
          dd.prepend(bar, ' ');
        }
        div.append(dt, dd);
        return div;
      });
      dl.replaceChildren(...items);
      dl.hidden = items.length === 0;
    }

    /**
     * Enables the actions the migration's state allows (as the sidecar's state machine does) and
     * says in each other button's tooltip why it is off.
     */
    renderActions(view) {
      const st = view.state || {};
      const s = st.state;
      const steps = view.spec && Array.isArray(view.spec.steps) ? view.spec.steps.length : 0;
      const atFull = Number(st.percent) === 100;
      const why = {
        set: s === 'completed' ? 'Completed: everyone reads the new value. Roll back first to start over.' : null,
        pause: s === 'running' ? null : 'Only a running migration can be paused; this one is ' + (s || 'unknown').replace(/_/g, ' ') + '.',
        resume: s === 'paused' || s === 'halted' || (s === 'running' && st.manual && steps > 0) ? null
          : s === 'running' ? 'Already running.'
          : s === 'rolled_back' ? 'Rolled back: set a percent to start it again.'
          : s === 'completed' ? 'Completed: there is nothing to resume.' : 'Nothing to resume.',
        rollback: s === 'rolled_back' ? 'Already rolled back: everyone reads the old value.' : null,
        complete: s === 'completed' ? 'Already completed.'
          : s !== 'running' && s !== 'paused' ? 'Only a running or paused migration at 100 % can be completed; resume it and set 100 first.'
          : !atFull ? 'Complete needs 100 % on the new value; set 100 first.' : null,
      };
      const titles = { set: 'Set the percent on the new value', pause: 'Freeze the migration where it is',
        resume: 'Let the migration run again', rollback: 'Put everyone back on the old value',
        complete: 'Give everyone the new value for good' };
      Object.entries(why).forEach(([name, reason]) => {
        const button = this.q('button.' + name);
        button.disabled = reason !== null;
        button.title = reason !== null ? reason : titles[name];
      });
    }

    // ---- actions

    async setPercent() {
      const exact = this.q('.exact');
      const reason = this.q('.reason-input');
      const raw = exact.value.trim();
      if (!PERCENT_PATTERN.test(raw)) {
        exact.setAttribute('aria-invalid', 'true');
        this.message('Enter a percent from 0 to 100 with at most three decimals, e.g. 12.5 or 12.345.', 'bad');
        exact.focus();
        return;
      }
      if (reason.value.trim() === '') {
        reason.setAttribute('aria-invalid', 'true');
        this.message('Give a reason for the new percent: it goes into the audit log.', 'bad');
        reason.focus();
        return;
      }
      await this.send('percent', 'Set percent', { percent: Number(raw), reason: reason.value.trim() });
    }

    async act(action, label, confirmation) {
      const revision = this.pinnedRevision !== null ? this.pinnedRevision : (this.view ? this.view.revision : null);
      if (confirmation) {
        // the revision is the one on screen when the operator asked, not when they confirmed
        const ok = await confirmAction(confirmation.title, confirmation.sentence, confirmation.ok);
        if (!ok) {
          this.message(label + ' cancelled; nothing changed.');
          this.q('.' + action).focus();
          return;
        }
      }
      const reason = this.q('.reason-input').value.trim();
      await this.send(action, label, reason === '' ? {} : { reason: reason }, revision);
      // the button just used may be off now (Pause on a paused migration): keep the keyboard in the
      // card, on the next action that applies
      const used = this.q('button.' + action);
      if (used.disabled && (document.activeElement === used || document.activeElement === document.body)) {
        const buttons = Array.from(this.root.querySelectorAll('.actions .buttons button'));
        const after = buttons.slice(buttons.indexOf(used) + 1).concat(buttons.slice(0, buttons.indexOf(used)));
        const next = after.find((b) => !b.disabled);
        if (next) next.focus();
      }
    }

    async send(action, label, body, revisionOverride) {
      if (this.busy) return;
      const revision = revisionOverride !== undefined && revisionOverride !== null ? revisionOverride
        : this.pinnedRevision !== null ? this.pinnedRevision : (this.view ? this.view.revision : null);
      this.busy = true;
      this.root.setAttribute('aria-busy', 'true');
      this.message(label + '…');
      try {
        const answer = await api('POST', '/admin/v1/migrations/' + encodeURIComponent(this.key) + '/' + action,
          { body: body, ifMatch: revision });
        const view = answer.body;
        this.unpin();
        this.q('.reason-input').value = '';
        if (view && view.key) {
          state.migrations.set(view.key, view);
          this.update(view);
        }
        const st = (view && view.state) || {};
        this.message(label + ' done: ' + this.key + ' is at ' + fmtPercent(st.percent) + ' ' + (st.state || '')
          + ' (revision ' + (view ? view.revision : '?') + ').', 'ok');
        state.listEtag = null;
      } catch (err) {
        if (err.status === 412) {
          this.unpin();
          try { await refreshNow(); } catch (e) { /* the poll reports it */ }
          const now = this.view ? this.view.revision : '?';
          this.message('Someone changed ' + this.key + ' since you looked: you acted on revision ' + revision
            + ', and it is now at revision ' + now + '. Nothing was changed; the page now shows the current state, '
            + 'check it and try again.', 'bad');
        } else if (err.status === 401) {
          disconnect('The sidecar refused the token of this tab (' + err.message + '). Enter the current token.');
        } else {
          // 409 and 400 sentences are the sidecar's own, shown as they are
          this.message(err.message, 'bad');
        }
      } finally {
        this.busy = false;
        this.root.removeAttribute('aria-busy');
      }
    }

    // ---- history chart

    async refreshHistory(revisionChanged) {
      const now = Date.now();
      if (!revisionChanged && this.history && now - this.historyAt < HISTORY_REFRESH_MS) return;
      if (this.historyLoading) return;
      this.historyLoading = true;
      this.historyAt = now;
      const generation = state.generation;
      try {
        const answer = await api('GET', '/admin/v1/migrations/' + encodeURIComponent(this.key) + '/history');
        if (generation !== state.generation) return;
        this.history = answer.body;
      } catch (err) {
        if (err.status !== 404) return;
        this.history = null;
      } finally {
        this.historyLoading = false;
      }
      this.drawChart();
    }

    drawChart() {
      const box = this.q('.chart-box');
      // drawn at the box's own width, so that the labels keep their size on a phone
      const W = Math.round(Math.max(300, Math.min(760, box.clientWidth || 600))); const H = 170;
      const L = 44; const R = 50; const T = 10; const B = 24;
      const svg = document.createElementNS(SVG_NS, 'svg');
      svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
      svg.setAttribute('role', 'img');
      const el = (name, attrs, content) => {
        const n = document.createElementNS(SVG_NS, name);
        Object.entries(attrs).forEach(([k, v]) => n.setAttribute(k, String(v)));
        if (content !== undefined) n.textContent = content;
        svg.appendChild(n);
        return n;
      };
      const points = this.history && Array.isArray(this.history.points) ? this.history.points : [];
      const times = points.map((p) => Date.parse(p.time));
      const end = Date.now();
      // the last hour, or less while the history is younger (at least five minutes, so a new
      // migration's first steps are not squeezed against the right edge)
      const minutes = times.length ? Math.min(60, Math.max(5, Math.ceil((end - times[0]) / 60000))) : 60;
      const spanMs = minutes * 60000;
      const start = end - spanMs;
      const x = (t) => L + (W - L - R) * Math.min(1, Math.max(0, (t - start) / spanMs));
      const yP = (p) => T + (H - T - B) * (1 - p / 100);
      const guard = this.view ? guardOf(this.view) : null;
      const limit = guard && guard.rule ? Number(guard.rule.maxErrorRate)
        : this.view && this.view.spec && this.view.spec.guard ? Number(this.view.spec.guard.maxErrorRate) : NaN;
      let maxRate = Number.isFinite(limit) ? limit * 1.25 : 0.05;
      points.forEach((p) => {
        [p.oldErrorRate, p.newErrorRate].forEach((r) => { if (typeof r === 'number' && r > maxRate) maxRate = r; });
      });
      maxRate = Math.min(1, niceCeiling(maxRate));
      const yR = (r) => T + (H - T - B) * (1 - r / maxRate);

      [0, 25, 50, 75, 100].forEach((p) => {
        el('line', { x1: L, x2: W - R, y1: yP(p), y2: yP(p), class: 'grid' });
        el('text', { x: L - 6, y: yP(p) + 4, 'text-anchor': 'end', class: 'axis-label' }, p + '%');
      });
      [0, 0.5, 1].forEach((f) => {
        const v = maxRate * f * 100;
        el('text', { x: W - R + 6, y: yR(maxRate * f) + 4, class: 'axis-label' }, (Number.isInteger(v) ? v : v.toFixed(1)) + '%');
      });
      [['-' + minutes + 'm', start], ['-' + (minutes / 2) + 'm', start + spanMs / 2], ['now', end]].forEach(([label, t], i) => {
        el('text', { x: x(t), y: H - 6, 'text-anchor': i === 0 ? 'start' : i === 2 ? 'end' : 'middle', class: 'axis-label' }, label);
      });
      if (Number.isFinite(limit) && limit <= maxRate) {
        el('line', { x1: L, x2: W - R, y1: yR(limit), y2: yR(limit), class: 'limit-line' });
      }
      if (points.length === 0) {
        el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'no history yet');
        svg.setAttribute('aria-label', 'Chart of the last hour of ' + this.key + ': no points yet.');
        box.replaceChildren(svg);
        return;
      }
      // percent: a step line, held until the next point and up to now
      let d = '';
      points.forEach((p, i) => {
        const px = x(times[i]); const py = yP(Number(p.percent));
        d += i === 0 ? 'M' + px + ' ' + py : ' H' + px + ' V' + py;
      });
      const currentPercent = this.view && this.view.state ? Number(this.view.state.percent) : Number(points[points.length - 1].percent);
      d += ' H' + x(end) + (Number.isFinite(currentPercent) ? ' V' + yP(currentPercent) : '');
      el('path', { d: d, class: 'percent-line-path' });
      const rateLine = (field, cls) => {
        let path = ''; let pen = false;
        points.forEach((p, i) => {
          const r = p[field];
          if (typeof r !== 'number') { pen = false; return; }
          path += (pen ? ' L' : ' M') + x(times[i]) + ' ' + yR(Math.min(r, maxRate));
          pen = true;
        });
        if (path) el('path', { d: path.trim(), class: cls });
      };
      rateLine('oldErrorRate', 'old-line');
      rateLine('newErrorRate', 'new-line');
      const last = points[points.length - 1];
      const newRates = points.map((p) => p.newErrorRate).filter((r) => typeof r === 'number');
      const peak = newRates.length ? Math.max.apply(null, newRates) : null;
      svg.setAttribute('aria-label', 'Chart of the last hour of ' + this.key + ': ' + points.length + ' points; percent now '
        + fmtPercent(currentPercent) + '; new error rate at most ' + fmtRate(peak) + ', last ' + fmtRate(last.newErrorRate)
        + '; old error rate last ' + fmtRate(last.oldErrorRate) + '.');
      box.replaceChildren(svg);
    }
  }

  // ---------------------------------------------------------------- start

  document.addEventListener('DOMContentLoaded', () => {
    $('token-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const token = $('token').value.trim();
      if (token === '') {
        $('token').setAttribute('aria-invalid', 'true');
        $('token-error').textContent = 'Enter the admin token first.';
        return;
      }
      $('token').removeAttribute('aria-invalid');
      connect(token, false);
    });
    $('forget').addEventListener('click', () => disconnect(null));
    let resizing = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => { for (const card of state.cards.values()) card.drawChart(); }, 150);
    });
    // redraw the charts' time axis every ten seconds even when nothing changes
    setInterval(() => { for (const card of state.cards.values()) card.refreshHistory(false); }, HISTORY_REFRESH_MS);
    const kept = sessionStorage.getItem(TOKEN_KEY);
    if (kept) connect(kept, true); else $('token').focus();
  });
})();
