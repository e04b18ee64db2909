/*! clickstream.js 1.1 - LMS clickstream tracker (ES2017, no dependencies).
 * Events are queued (mirrored to localStorage, one queue per tab), batched to POST {endpoint}/v1/track,
 * retried with backoff, and flushed with sendBeacon when the page is hidden. One tracker per page. */
(() => {
  'use strict';
  if (window.Clickstream) return;
  const EVENTS = ['page_view', 'click', 'scroll', 'search', 'video_play', 'video_pause', 'video_complete',
    'quiz_start', 'quiz_answer', 'quiz_submit', 'heartbeat'];
  const K_ANON = 'clickstream.anonymous_id', K_SESSION = 'clickstream.session', K_QUEUE = 'clickstream.queue', K_TAB = 'clickstream.tab';
  // A queue of another tab that has not been saved for this long belongs to a tab that is gone (background tabs
  // still save at least once a minute while they hold events).
  const MAX_QUEUE = 1000, MAX_BYTES = 60000, ORPHAN_AFTER = 300000, nav = navigator, ua = nav.userAgent || '', doc = document;
  const TAG = '[clickstream]', mem = {};
  let T = null; // the tracker

  // localStorage with an in-memory fallback (blocked storage, quota exceeded).
  const sget = k => { try { const v = localStorage.getItem(k); if (v !== null) return v; } catch (e) {} return k in mem ? mem[k] : null; };
  const sset = (k, v) => { mem[k] = v; try { localStorage.setItem(k, v); } catch (e) { try { localStorage.removeItem(k); } catch (e2) {} } };
  const json = s => { try { return JSON.parse(s); } catch (e) { return null; } };
  const sdel = k => { delete mem[k]; try { localStorage.removeItem(k); } catch (e) {} };
  const skeys = () => { try { return Object.keys(localStorage); } catch (e) { return Object.keys(mem); } };

  function uuid() {
    try { if (crypto.randomUUID) return crypto.randomUUID(); } catch (e) {} // needs a secure context
    const b = new Uint8Array(16);
    try { crypto.getRandomValues(b); } catch (e) { b.forEach((_, i) => { b[i] = Math.random() * 256; }); }
    b[6] = b[6] & 15 | 64; b[8] = b[8] & 63 | 128;
    const h = Array.from(b, x => (x + 256).toString(16).slice(1)).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  function deviceType() {
    const touch = nav.maxTouchPoints || 0, small = Math.min(screen.width, screen.height) || 0;
    if (/iPad|Tablet|PlayBook|Silk|Kindle|Android(?!.*Mobile)/i.test(ua) || (/Macintosh/.test(ua) && touch > 1)) return 'tablet';
    return /Mobi|iPhone|iPod|Android|Windows Phone/i.test(ua) || (touch && small && small < 600) ? 'mobile' : 'desktop';
  }
  const BROWSERS = [[/Edg(e|A|iOS)?\//, 'Edge'], [/OPR\/|Opera/, 'Opera'], [/SamsungBrowser/, 'Samsung Internet'],
    [/Firefox\/|FxiOS/, 'Firefox'], [/Chrome\/|CriOS/, 'Chrome'], [/Safari\//, 'Safari']];
  const browser = (BROWSERS.find(b => b[0].test(ua)) || [])[1];
  // The hash is part of the page only for hash-routed SPAs ("#/route").
  const pageUrl = (l = location) => (l.origin + l.pathname + l.search + (l.hash.startsWith('#/') ? l.hash : '')).slice(0, 2048);
  const clamp = (n, lo, hi) => Math.min(hi, Math.max(lo, n));
  const round1 = n => Math.round(n * 10) / 10;
  const bytes = s => new Blob([s]).size;
  const str = (v, n) => String(v).slice(0, n);

  // Keeps metadata within the schema: plain object, <= 64 keys, typed known keys, omitted when empty.
  function cleanMeta(md) {
    if (!md || typeof md !== 'object' || Array.isArray(md)) return;
    const out = {};
    for (const k of Object.keys(md)) {
      let v = md[k];
      if (v === undefined || typeof v === 'function') continue;
      if (Object.keys(out).length >= 64) break;
      if (k === 'scroll_depth' || k === 'duration') {
        if (!isFinite(v = Number(v))) continue;
        v = clamp(v, 0, k === 'duration' ? 86400 : 100);
      } else if (k === 'query') v = str(v, 512);
      out[k] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }

  function createTracker(opts) {
    const cfg = {endpoint: location.origin, flushInterval: 2000, maxBatch: 50, heartbeatInterval: 15000,
      scrollMilestones: [25, 50, 75, 100], autoPageViews: true, sessionTimeout: 1800000, debug: false};
    for (const k of Object.keys(opts)) if (opts[k] != null) cfg[k] = opts[k];
    cfg.endpoint = String(cfg.endpoint || location.origin).replace(/\/+$/, '');
    cfg.maxBatch = clamp(cfg.maxBatch | 0 || 50, 1, 500);
    const milestones = cfg.scrollMilestones.map(Number).filter(isFinite).sort((a, b) => a - b);
    const device = deviceType(), listeners = {}, inflight = new Set();
    let anon = sget(K_ANON);
    if (!anon) sset(K_ANON, anon = uuid());
    // Each tab keeps its own queue (the tab id lives in sessionStorage, so a reload finds its queue again),
    // so two tabs never overwrite each other's unsent events. Queues of closed tabs are taken over.
    let tab = null;
    try { tab = sessionStorage.getItem(K_TAB); if (!tab) sessionStorage.setItem(K_TAB, tab = uuid()); } catch (e) { tab = uuid(); }
    const kQueue = K_QUEUE + '.' + tab;
    let queue = [];
    for (const k of skeys()) {
      if (k !== K_QUEUE && k.indexOf(K_QUEUE + '.') !== 0) continue;
      const q = json(sget(k)), events = Array.isArray(q) ? q : q && q.events; // a bare array: tracker 1.0's shared queue
      const orphan = k === K_QUEUE || !q || q.closed || !(Date.now() - q.updated < ORPHAN_AFTER);
      if (k !== kQueue && !orphan) continue;
      const known = new Set(queue.map(e => e.event_id));
      queue = queue.concat((events || []).filter(e => e && e.event_id && !known.has(e.event_id)));
      if (k !== kQueue) sdel(k);
    }
    const leftovers = queue.length;
    let pending = null, attempt = 0, retryAt = 0;
    // Per page view state.
    let lastUrl = null, referrer = doc.referrer || null, reached = {}, quizzes = {}, lastBeat = 0, beatTimer = 0, activeSince = false;

    const log = (...a) => cfg.debug && console.log(TAG, ...a);
    const emit = (name, ...a) => (listeners[name] || []).forEach(fn => { try { fn(...a); } catch (e) { console.error(e); } });
    // Every handler is wrapped: nothing may throw into the host page.
    const safe = fn => function (...a) { try { return fn.apply(this, a); } catch (e) { console.error(TAG, e); } };
    let saved = 0;
    const persist = closed => (saved = Date.now(), queue.length || closed
      ? sset(kQueue, JSON.stringify({updated: saved, closed: !!closed, events: queue})) : sdel(kQueue));
    const remove = ids => { queue = queue.filter(e => !ids.has(e.event_id)); persist(); };

    // Session {id, last_activity}: a new one after sessionTimeout ms without events.
    function session(touch) {
      const now = Date.now();
      let s = json(sget(K_SESSION));
      if (!s || !s.id || !(now - s.last_activity <= cfg.sessionTimeout)) s = {id: uuid()}, touch = true;
      if (touch) s.last_activity = now, sset(K_SESSION, JSON.stringify(s));
      return s.id;
    }
    function chapter() {
      const m = doc.querySelector('meta[name="clickstream:chapter"]');
      return cfg.chapterId || (m && m.content) || (doc.body && doc.body.getAttribute('data-chapter-id'));
    }

    function track(name, props) {
      try {
        props = props || {};
        if (!EVENTS.includes(name)) { console.warn(TAG, 'unknown event name, dropped:', name); return null; }
        const ev = {event_id: uuid(), student_id: str(cfg.studentId || anon, 128), event_name: name,
          page_url: str(props.page_url || pageUrl(), 2048), session_id: session(true), timestamp: new Date().toISOString()};
        const ch = props.chapter_id !== undefined ? props.chapter_id : chapter();
        const ref = props.referrer !== undefined ? props.referrer : referrer;
        const md = cleanMeta(props.metadata);
        if (ch) ev.chapter_id = str(ch, 128);
        ev.device_type = device;
        if (browser) ev.browser = browser;
        if (ref) ev.referrer = str(ref, 2048);
        if (md) ev.metadata = md;
        queue.push(ev);
        if (queue.length > MAX_QUEUE) console.warn(TAG, 'queue full, dropped oldest:', queue.splice(0, queue.length - MAX_QUEUE).length);
        persist();
        log('queued', ev);
        return ev.event_id;
      } catch (e) { console.error(TAG, e); return null; }
    }

    function page(props) {
      const url = pageUrl();
      if (lastUrl !== null && lastUrl !== url) referrer = lastUrl;
      lastUrl = url; reached = {}; quizzes = {};
      return track('page_view', Object.assign({metadata: {title: doc.title || undefined}}, props));
    }
    // Automatic page views skip the same URL twice in a row (replaceState, non-route hash changes).
    const autoPage = safe(() => { if (pageUrl() !== lastUrl) page(); });

    // ---- Delivery ---------------------------------------------------------------------------
    function retry(after) { // exponential backoff 1 s, 2 s, 4 s ... 60 s with jitter; honours Retry-After
      const ra = after == null ? 0 : isFinite(after) ? after * 1000 : Date.parse(after) - Date.now();
      const delay = Math.max(Math.min(60000, 1000 * 2 ** attempt++ * (0.8 + 0.4 * Math.random())), ra || 0);
      retryAt = Date.now() + delay;
      log('retry in ms', Math.round(delay));
      setTimeout(tick, delay + 10);
    }

    // Sends one batch; resolves true when the queue shrank and the next batch may follow.
    async function sendBatch() {
      const batch = queue.slice(0, cfg.maxBatch), body = JSON.stringify(batch);
      const ids = new Set(batch.map(e => e.event_id));
      let res, data = null;
      ids.forEach(id => inflight.add(id));
      try {
        res = await fetch(cfg.endpoint + '/v1/track', {method: 'POST', mode: 'cors', credentials: 'omit', body,
          keepalive: bytes(body) < MAX_BYTES, // keepalive bodies are capped at 64 KB
          headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + cfg.writeKey}});
      } catch (e) {
        log('network error', e);
        return retry(), false;
      } finally { ids.forEach(id => inflight.delete(id)); }
      const st = res.status;
      if (st === 429 || st >= 500) return retry(res.headers.get('Retry-After')), false;
      attempt = 0; retryAt = 0;
      try { data = await res.json(); } catch (e) {}
      if ((st === 200 || st === 207 || st === 400) && data && Array.isArray(data.results)) {
        const done = new Set();
        for (const r of data.results) {
          const ev = batch[r.index] && batch[r.index].event_id === r.event_id ? batch[r.index] : batch.find(e => e.event_id === r.event_id);
          if (!ev) continue;
          done.add(ev.event_id);
          if (r.status === 'rejected') {
            console.warn(TAG, 'event rejected:', ev.event_name, ev.event_id, r.errors);
            emit('rejected', r, ev);
          }
        }
        remove(done);
        log('sent: accepted', data.accepted, 'rejected', data.rejected);
        emit('sent', data.results);
        return done.size > 0;
      }
      remove(ids);
      if (st >= 200 && st < 300) return emit('sent', []), true;
      console.error(TAG, `batch of ${batch.length} dropped, HTTP ${st}`, data || '');
      return false;
    }
    async function drain() { while (queue.length && await sendBatch()); }

    // flush() resolves once the queue is drained or a send failed; flush({beacon: true}) is synchronous.
    function flush(o) {
      if (o && o.beacon) return beacon(), Promise.resolve();
      if (!pending) {
        const end = () => { pending = null; };
        pending = drain().then(end, e => { end(); console.error(TAG, e); });
      }
      return pending;
    }
    function tick() {
      if (queue.length && Date.now() - saved > 60000) persist(); // still alive: keeps other tabs off this queue
      if (queue.length && !pending && Date.now() >= retryAt) flush();
    }

    // Page going away: sendBeacon cannot set headers, so the key goes in the URL; chunks stay < 60 KB.
    function beacon() {
      if (!nav.sendBeacon) return;
      const url = `${cfg.endpoint}/v1/track?writeKey=${encodeURIComponent(cfg.writeKey)}`;
      const todo = queue.filter(e => !inflight.has(e.event_id)), sent = new Set();
      for (let i = 0; i < todo.length;) {
        const chunk = [];
        for (let size = 2, s; i < todo.length && chunk.length < cfg.maxBatch; i++, size += s) {
          s = bytes(JSON.stringify(todo[i])) + 1;
          if (chunk.length && size + s > MAX_BYTES) break;
          chunk.push(todo[i]);
        }
        if (!nav.sendBeacon(url, new Blob([JSON.stringify(chunk)], {type: 'text/plain'}))) break;
        chunk.forEach(e => sent.add(e.event_id));
      }
      if (sent.size) remove(sent);
    }

    // ---- Automatic events ---------------------------------------------------------------------
    const on = (type, fn, opt = true, target = doc) => target.addEventListener(type, safe(fn), opt);
    const closest = (el, sel) => el && el.closest ? el.closest(sel) : null;

    on('click', e => {
      activeSince = true;
      const el = closest(e.target, '[data-track-click]');
      if (!el) return;
      const md = {label: el.getAttribute('data-track-click') || str(el.textContent.trim(), 128), element: el.tagName.toLowerCase()};
      if (el.tagName === 'A' && el.href) md.href = el.href;
      track('click', {metadata: md});
    });

    // Depth = bottom of the viewport / document height; each milestone once per page view.
    on('scroll', () => {
      const h = Math.max(doc.documentElement.scrollHeight, doc.body ? doc.body.scrollHeight : 0);
      const bottom = window.pageYOffset + window.innerHeight;
      const pct = bottom >= h - 2 ? 100 : bottom / h * 100;
      for (const m of milestones) if (pct >= m && !reached[m]) reached[m] = true, track('scroll', {metadata: {scroll_depth: m}});
    }, {passive: true}, window);

    const quizStart = q => {
      const id = q.getAttribute('data-track-quiz');
      if (!quizzes[id]) quizzes[id] = true, track('quiz_start', {metadata: {quiz: id}});
      return id;
    };
    on('focusin', e => { const q = closest(e.target, '[data-track-quiz]'); if (q) quizStart(q); });
    on('change', e => {
      const el = e.target, q = closest(el, '[data-track-quiz]');
      if (!q || !/^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) return;
      const md = {quiz: quizStart(q), question: el.name || el.id || null, answer: el.value};
      if (el.type === 'checkbox') md.checked = el.checked;
      track('quiz_answer', {metadata: md});
    });

    on('submit', e => {
      const form = e.target, q = closest(form, '[data-track-quiz]');
      if (form.matches && form.matches('[data-track-search]')) {
        const input = form.querySelector('[name="q"]') || form.querySelector('input[type=search],input[type=text]');
        track('search', {metadata: {query: input ? input.value : ''}});
        if (form.hasAttribute('data-track-search-prevent')) e.preventDefault();
      }
      if (!q) return;
      const answered = new Set();
      for (const el of q.querySelectorAll('input,select,textarea')) {
        if (el.name && !/^(submit|button|reset|hidden)$/.test(el.type) &&
          (/^(radio|checkbox)$/.test(el.type) ? el.checked : el.value !== '')) answered.add(el.name);
      }
      track('quiz_submit', {metadata: {quiz: quizStart(q), answered: answered.size}});
    });

    // Media events do not bubble, but a capturing listener on document sees them for every <video>.
    const video = name => e => {
      const v = e.target;
      if (!v || v.tagName !== 'VIDEO' || (name === 'video_pause' && v.ended)) return; // skip the pause fired at the end
      const md = {video: v.getAttribute('data-video-id') || (v.currentSrc || v.src).split(/[?#]/)[0].split('/').pop() || 'video',
        position: round1(v.currentTime || 0)};
      if (isFinite(v.duration)) md.duration = round1(v.duration);
      track(name, {metadata: md});
    };
    on('play', video('video_play'));
    on('pause', video('video_pause'));
    on('ended', video('video_complete'));

    // Time spent: a heartbeat every heartbeatInterval while the page is visible and the student did something
    // (moved, scrolled, typed, touched) or a video played since the last one, duration = seconds since then.
    // A tab left open on its own sends nothing, so it cannot keep a session alive or count as engaged time.
    const playing = () => Array.prototype.some.call(doc.querySelectorAll('video'), v => !v.paused && !v.ended);
    for (const type of ['mousemove', 'mousedown', 'keydown', 'wheel', 'touchstart', 'scroll']) {
      on(type, () => { activeSince = true; }, {passive: true}, type === 'scroll' ? window : doc);
    }
    function beats() {
      clearInterval(beatTimer); lastBeat = Date.now(); activeSince = false;
      if (cfg.heartbeatInterval > 0) beatTimer = setInterval(safe(() => {
        const now = Date.now();
        if (doc.visibilityState !== 'visible' || !(activeSince || playing())) { lastBeat = now; return; }
        track('heartbeat', {metadata: {duration: round1((now - lastBeat) / 1000)}});
        lastBeat = now; activeSince = false;
      }), cfg.heartbeatInterval);
    }
    // Hidden or leaving: a beacon cannot report failure, so it is only used while the collector answers; while it
    // is failing (or the browser is offline) the queue stays in localStorage, and the next page of this site sends
    // it. A queue left by a closed page is marked, so that another tab may take it over.
    const healthy = () => attempt === 0 && nav.onLine !== false;
    const leave = () => { if (healthy()) beacon(); persist(true); };
    on('visibilitychange', () => doc.visibilityState === 'hidden' ? healthy() && beacon() : beats());
    on('pagehide', leave, false, window);
    on('pageshow', e => { if (e.persisted) persist(); }, false, window); // back from the back-forward cache: the queue is ours again
    on('online', () => { retryAt = 0; tick(); }, false, window);

    if (cfg.autoPageViews) {
      const later = () => setTimeout(autoPage, 0); // lets the app update its title / chapter first
      for (const m of ['pushState', 'replaceState']) {
        const orig = history[m];
        history[m] = function (...a) { const r = orig.apply(this, a); later(); return r; };
      }
      on('popstate', later, false, window);
      on('hashchange', later, false, window);
      if (doc.readyState === 'loading') on('DOMContentLoaded', autoPage); else autoPage();
    }
    beats();
    setInterval(tick, Math.max(100, cfg.flushInterval));
    if (leftovers) log('resending leftovers', leftovers), flush();

    return {
      track, flush, page: safe(page),
      queueLength: () => queue.length,
      anonymousId: () => anon,
      sessionId: () => session(false),
      identify: id => { cfg.studentId = id || null; },
      setChapter: id => { cfg.chapterId = id || null; },
      on: (name, fn) => {
        (listeners[name] = listeners[name] || []).push(fn);
        return () => { listeners[name] = listeners[name].filter(f => f !== fn); };
      }
    };
  }

  window.Clickstream = {
    version: '1.0.0',
    // Returns the page's tracker; a second init() returns the first one unchanged.
    init(opts) {
      if (T) return console.warn(TAG, 'already initialised'), T;
      if (!opts || !opts.writeKey) return console.error(TAG, 'init: writeKey is required'), null;
      try { return T = createTracker(opts); } catch (e) { console.error(TAG, 'init failed', e); return null; }
    },
    instance: () => T
  };

  // <script src=".../clickstream.js" data-write-key="KEY" [data-endpoint] [data-student-id]> initialises itself.
  const s = doc.currentScript, a = n => (s && s.getAttribute(n)) || undefined;
  if (a('data-write-key')) window.Clickstream.init({writeKey: a('data-write-key'), endpoint: a('data-endpoint'), studentId: a('data-student-id')});
})();
