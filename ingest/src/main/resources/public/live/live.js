/* Live dashboard for the LMS clickstream lakehouse.
 * Plain browser JavaScript, no dependencies. Data arrives as `snapshot` server-sent events from
 * /analytics/stream; if the stream keeps failing (or EventSource is missing) it polls
 * /analytics/snapshot every 2 s instead. All client-supplied text is written with textContent. */
(function () {
  'use strict';

  var STREAM_URL = '/analytics/stream';
  var SNAPSHOT_URL = '/analytics/snapshot';
  var LIVE_WINDOW_MS = 5000;      // a snapshot within this long => "live"
  var POLL_INTERVAL_MS = 2000;
  var ERRORS_BEFORE_POLLING = 3;  // consecutive stream errors before the polling fallback starts
  var MAX_TOP_PAGES = 10;
  var MAX_ACTIONS = 30;
  var EMPTY_TEXT = 'No activity in the last 5 minutes';

  var state = {
    lastSnapshot: null,
    snapshots: 0,
    connection: 'stale'
  };
  window.liveDashboard = state;

  var lastSnapshotAt = 0;        // local clock when the last snapshot arrived
  var streamErrored = false;     // stream errored since it last opened or delivered data
  var pollFailed = false;
  var consecutiveErrors = 0;
  var source = null;
  var reopenTimer = null;
  var pollTimer = null;
  var previousActionKeys = null; // multiset of the ticker's keys, to animate only new items

  function $(id) { return document.getElementById(id); }

  var el = {
    status: $('connection-status'),
    asOf: $('as-of'),
    users: $('live-users'),
    window: $('active-window'),
    eps: $('events-per-second'),
    bad: $('bad-event-rate'),
    lag: $('lag'),
    freshness: $('freshness'),
    pipeline: $('pipeline-status'),
    lastBatch: $('last-batch'),
    canvas: $('events-chart'),
    topBody: $('top-pages-body'),
    topEmpty: $('top-pages-empty'),
    active: $('active-pages'),
    activeEmpty: $('active-pages-empty'),
    actions: $('recent-actions'),
    actionsEmpty: $('recent-actions-empty')
  };
  el.topEmpty.textContent = EMPTY_TEXT;
  el.activeEmpty.textContent = EMPTY_TEXT;
  el.actionsEmpty.textContent = EMPTY_TEXT;

  // ---------- formatting helpers ----------

  function num(v, fallback) {
    var n = Number(v);
    return isFinite(n) ? n : (fallback === undefined ? 0 : fallback);
  }

  function pad2(n) { return n < 10 ? '0' + n : String(n); }

  function clock(ms) {
    var n = Number(ms);
    if (!isFinite(n) || n <= 0) return '—';
    var d = new Date(n);
    return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
  }

  function pagePath(url) {
    var s = url == null ? '' : String(url);
    try {
      var u = new URL(s, window.location.href);
      return (u.pathname || '/') + (u.search || '') + (u.hash || '');
    } catch (e) {
      return s;
    }
  }

  function shortStudent(s) {
    var v = s == null ? '' : String(s);
    return v.length > 8 ? v.slice(0, 8) : v;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function make(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }

  function agoText(ms, now) {
    var n = Number(ms);
    if (!isFinite(n) || n <= 0) return '—';
    var s = Math.max(0, Math.round((now - n) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    return clock(n);
  }

  var EVENT_STYLES = [
    // [exact name or prefix, css class, icon] - plain symbols that exist in common system fonts
    ['page_view', 'tag-page', '\u2630'],      // ☰
    ['page_', 'tag-page', '\u2630'],
    ['video_play', 'tag-video', '\u25B6'],    // ▶
    ['video_pause', 'tag-video', '\u275A\u275A'], // ❚❚
    ['video_complete', 'tag-video', '\u2713'], // ✓
    ['video_', 'tag-video', '\u25B6'],
    ['quiz_start', 'tag-quiz', '?'],
    ['quiz_answer', 'tag-quiz', '\u270E'],    // ✎
    ['quiz_submit', 'tag-quiz', '\u2714'],    // ✔
    ['quiz_', 'tag-quiz', '?'],
    ['click', 'tag-click', '\u25CE'],         // ◎
    ['search', 'tag-search', '\u2315'],       // ⌕
    ['scroll', 'tag-scroll', '\u2195']        // ↕
  ];

  function eventStyle(name) {
    for (var i = 0; i < EVENT_STYLES.length; i++) {
      var p = EVENT_STYLES[i][0];
      if (name === p || name.indexOf(p) === 0) return EVENT_STYLES[i];
    }
    return [name, '', '\u2022'];
  }

  // ---------- connection state ----------

  function computeConnection() {
    var recent = lastSnapshotAt > 0 && (Date.now() - lastSnapshotAt) <= LIVE_WINDOW_MS;
    // While polling, stream errors are expected; fresh polled data still counts as live.
    if (recent && (!streamErrored || pollTimer !== null) && !pollFailed) return 'live';
    if (streamErrored || pollFailed) return 'reconnecting';
    return 'stale';
  }

  function refreshConnection() {
    var c = computeConnection();
    state.connection = c;
    if (el.status.textContent !== c) el.status.textContent = c;
    var cls = 'badge badge-' + c;
    if (el.status.className !== cls) el.status.className = cls;
    el.status.title = lastSnapshotAt
      ? 'Last update received ' + agoText(lastSnapshotAt, Date.now()) + (pollTimer !== null ? ' (polling)' : '')
      : 'No data received yet';
  }

  // ---------- rendering ----------

  function renderKpis(s) {
    var now = num(s.as_of, Date.now());
    el.asOf.textContent = clock(s.as_of);
    if (s.as_of) el.asOf.setAttribute('datetime', new Date(num(s.as_of)).toISOString());

    el.users.textContent = String(Math.round(num(s.active_users)));
    var win = num(s.active_window_seconds, 300);
    el.window.textContent = win % 60 === 0 ? 'last ' + (win / 60) + ' min' : 'last ' + win + ' s';

    el.eps.textContent = num(s.events_per_second_now).toFixed(1);

    var rate = num(s.bad_event_rate);
    el.bad.textContent = (rate * 100).toFixed(1) + '%';
    el.bad.classList.toggle('warn-value', rate >= 0.05);

    var p = s.pipeline || {};
    el.lag.textContent = String(Math.round(num(p.lag_records)));
    var fresh = Number(p.freshness_seconds);
    el.freshness.textContent = p.freshness_seconds == null || !isFinite(fresh) ? '—' : fresh.toFixed(1);
    var up = p.live_job_up === true;
    el.pipeline.textContent = up ? 'up' : 'down';
    el.pipeline.className = 'pipe ' + (up ? 'pipe-up' : 'pipe-down');
    el.lastBatch.textContent = agoText(p.last_batch_at, now);
  }

  function renderTopPages(list) {
    var rows = (Array.isArray(list) ? list : []).slice(0, MAX_TOP_PAGES);
    clear(el.topBody);
    rows.forEach(function (r) {
      var url = r && r.page_url != null ? String(r.page_url) : '';
      var tr = document.createElement('tr');
      tr.setAttribute('data-page-url', url);
      var page = make('td', 'page', pagePath(url));
      page.title = url;
      tr.appendChild(page);
      var views = make('td', 'num', Math.round(num(r.page_views)));
      views.setAttribute('data-testid', 'page-views');
      var students = make('td', 'num', Math.round(num(r.students)));
      students.setAttribute('data-testid', 'page-students');
      var events = make('td', 'num', Math.round(num(r.events)));
      events.setAttribute('data-testid', 'page-events');
      tr.appendChild(views);
      tr.appendChild(students);
      tr.appendChild(events);
      el.topBody.appendChild(tr);
    });
    el.topEmpty.hidden = rows.length > 0;
  }

  function renderActivePages(list) {
    var items = Array.isArray(list) ? list : [];
    var max = 0;
    items.forEach(function (r) { max = Math.max(max, num(r && r.students)); });
    clear(el.active);
    items.forEach(function (r) {
      var url = r && r.page_url != null ? String(r.page_url) : '';
      var students = Math.round(num(r && r.students));
      var li = document.createElement('li');
      li.setAttribute('data-page-url', url);
      var path = make('span', 'path', pagePath(url));
      path.title = url;
      var count = make('span', 'count', students);
      count.setAttribute('data-testid', 'page-active-students');
      count.title = students === 1 ? '1 student' : students + ' students';
      var bar = make('div', 'bar');
      bar.setAttribute('aria-hidden', 'true');
      var fill = document.createElement('span');
      fill.style.width = (max > 0 ? Math.max(2, (students / max) * 100) : 0).toFixed(1) + '%';
      bar.appendChild(fill);
      li.appendChild(path);
      li.appendChild(count);
      li.appendChild(bar);
      el.active.appendChild(li);
    });
    el.activeEmpty.hidden = items.length > 0;
  }

  function actionKey(a) {
    return [a.time, a.student, a.event_name, a.page_url].join('\u0001');
  }

  function renderActions(list) {
    var items = (Array.isArray(list) ? list : []).slice(0, MAX_ACTIONS);
    var seen = {};
    var firstRender = previousActionKeys === null;
    var prev = previousActionKeys || {};
    clear(el.actions);
    items.forEach(function (a) {
      a = a || {};
      var key = actionKey(a);
      seen[key] = (seen[key] || 0) + 1;
      var isNew = !firstRender && seen[key] > (prev[key] || 0);
      var name = a.event_name == null ? '' : String(a.event_name);
      var style = eventStyle(name);
      var li = document.createElement('li');
      li.setAttribute('data-event-name', name);
      if (isNew) li.className = 'new';
      var t = make('time', '', clock(a.time));
      if (a.time) t.setAttribute('datetime', new Date(num(a.time)).toISOString());
      var who = make('span', 'who', shortStudent(a.student));
      who.title = 'pseudonymised student id';
      var tag = make('span', 'tag ' + style[1], style[2] + ' ' + name);
      var path = make('span', 'path', pagePath(a.page_url));
      path.title = a.page_url == null ? '' : String(a.page_url);
      li.appendChild(t);
      li.appendChild(who);
      li.appendChild(tag);
      li.appendChild(path);
      el.actions.appendChild(li);
    });
    previousActionKeys = seen;
    el.actionsEmpty.hidden = items.length > 0;
  }

  // ---------- chart ----------

  function niceMax(v) {
    if (v <= 0) return 1;
    var exp = Math.pow(10, Math.floor(Math.log(v) / Math.LN10));
    var f = v / exp;
    var nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * exp;
  }

  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name);
    return v && v.trim() ? v.trim() : fallback;
  }

  function drawChart() {
    var canvas = el.canvas;
    var w = canvas.clientWidth, h = canvas.clientHeight;
    if (!w || !h) return;
    var dpr = window.devicePixelRatio || 1;
    var pw = Math.round(w * dpr), ph = Math.round(h * dpr);
    if (canvas.width !== pw || canvas.height !== ph) {
      canvas.width = pw;
      canvas.height = ph;
    }
    var ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);

    var s = state.lastSnapshot;
    var series = s && Array.isArray(s.events_per_second) ? s.events_per_second : [];
    var maxTotal = 0;
    series.forEach(function (p) { maxTotal = Math.max(maxTotal, num(p.accepted) + num(p.rejected)); });
    var yMax = niceMax(maxTotal);

    var font = '12px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
    ctx.font = font;
    var muted = cssVar('--muted', '#616e7c');
    var line = cssVar('--line', '#d9e2ec');
    var half = yMax / 2;
    var labels = { 0: '0', 0.5: half % 1 === 0 ? String(half) : half.toFixed(1), 1: String(yMax) };
    var left = Math.ceil(Math.max(ctx.measureText(labels[1]).width, ctx.measureText(labels[0.5]).width)) + 10;
    var right = 6, top = 10, bottom = 22;
    var cw = Math.max(10, w - left - right), ch = Math.max(10, h - top - bottom);

    // grid lines and y labels (0, half, max)
    ctx.strokeStyle = line;
    ctx.lineWidth = 1;
    ctx.fillStyle = muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    [0, 0.5, 1].forEach(function (f) {
      var y = Math.round(top + ch - f * ch) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + cw, y);
      ctx.stroke();
      ctx.fillText(labels[f], left - 5, y);
    });

    var n = Math.max(series.length, 120);
    var slot = cw / n;
    var gap = slot > 4 ? 1 : 0;
    var barW = Math.max(0.5, slot - gap);
    var offset = n - series.length; // right-align: newest at the right edge
    var accepted = cssVar('--accepted', '#2458d3');
    var rejected = cssVar('--rejected', '#e0574f');
    series.forEach(function (p, i) {
      var a = num(p.accepted), r = num(p.rejected);
      var x = left + (offset + i) * slot;
      var ha = (a / yMax) * ch, hr = (r / yMax) * ch;
      if (ha > 0) {
        ctx.fillStyle = accepted;
        ctx.fillRect(x, top + ch - ha, barW, ha);
      }
      if (hr > 0) {
        ctx.fillStyle = rejected;
        ctx.fillRect(x, top + ch - ha - hr, barW, hr);
      }
    });

    // x labels: start, middle, end times
    ctx.fillStyle = muted;
    ctx.textBaseline = 'top';
    var ty = top + ch + 5;
    if (series.length > 0) {
      var first = series[0], last = series[series.length - 1], mid = series[Math.floor(series.length / 2)];
      ctx.textAlign = 'left';
      ctx.fillText(clock(first.t), left + offset * slot, ty);
      if (cw > 260) {
        ctx.textAlign = 'center';
        ctx.fillText(clock(mid.t), left + (offset + Math.floor(series.length / 2) + 0.5) * slot, ty);
      }
      ctx.textAlign = 'right';
      ctx.fillText(clock(last.t), left + cw, ty);
    } else {
      ctx.textAlign = 'center';
      ctx.fillText('waiting for data…', left + cw / 2, top + ch / 4);
    }
  }

  var drawPending = false;
  function scheduleDraw() {
    if (drawPending) return;
    drawPending = true;
    var raf = window.requestAnimationFrame || function (f) { return setTimeout(f, 16); };
    raf(function () { drawPending = false; drawChart(); });
  }

  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(scheduleDraw).observe(el.canvas);
  }
  window.addEventListener('resize', scheduleDraw);

  // ---------- data handling ----------

  function applySnapshot(s) {
    if (!s || typeof s !== 'object') return;
    lastSnapshotAt = Date.now();
    state.lastSnapshot = s;
    state.snapshots += 1;
    try { renderKpis(s); } catch (e) { logError(e); }
    try { renderTopPages(s.top_pages); } catch (e) { logError(e); }
    try { renderActivePages(s.active_pages); } catch (e) { logError(e); }
    try { renderActions(s.recent_actions); } catch (e) { logError(e); }
    scheduleDraw();
    refreshConnection();
  }

  function logError(e) {
    if (window.console && console.error) console.error('live dashboard:', e);
  }

  function parseAndApply(text) {
    var s;
    try { s = JSON.parse(text); } catch (e) { logError(e); return false; }
    applySnapshot(s);
    return true;
  }

  // ---------- polling fallback ----------

  function pollOnce() {
    var done = function (ok) { pollFailed = !ok; refreshConnection(); };
    if (typeof fetch === 'function') {
      fetch(SNAPSHOT_URL, { cache: 'no-store', headers: { Accept: 'application/json' } })
        .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); })
        .then(function (t) { done(parseAndApply(t)); })
        .catch(function () { done(false); });
    } else {
      var xhr = new XMLHttpRequest();
      xhr.open('GET', SNAPSHOT_URL);
      xhr.onload = function () { done(xhr.status >= 200 && xhr.status < 300 && parseAndApply(xhr.responseText)); };
      xhr.onerror = function () { done(false); };
      xhr.send();
    }
  }

  function startPolling() {
    if (pollTimer !== null) return;
    pollTimer = setInterval(pollOnce, POLL_INTERVAL_MS);
    pollOnce();
  }

  function stopPolling() {
    if (pollTimer === null) return;
    clearInterval(pollTimer);
    pollTimer = null;
    pollFailed = false;
  }

  // ---------- server-sent events ----------

  function openStream() {
    reopenTimer = null;
    try {
      source = new EventSource(STREAM_URL);
    } catch (e) {
      logError(e);
      streamErrored = true;
      startPolling();
      return;
    }
    source.addEventListener('open', function () {
      streamErrored = false;
      refreshConnection();
    });
    source.addEventListener('snapshot', function (ev) {
      streamErrored = false;
      consecutiveErrors = 0;
      stopPolling();
      parseAndApply(ev.data);
    });
    source.addEventListener('error', function () {
      streamErrored = true;
      consecutiveErrors += 1;
      var closed = source && source.readyState === 2;
      // Fall back to polling after repeated errors, or at once if the stream was refused outright.
      if (closed || consecutiveErrors >= ERRORS_BEFORE_POLLING) startPolling();
      // The browser retries by itself unless the stream was closed for good (e.g. HTTP error);
      // then we reopen it ourselves with a backoff while polling keeps the page fresh.
      if (closed && reopenTimer === null) {
        source.close();
        var delay = Math.min(30000, 1000 * Math.pow(2, Math.min(consecutiveErrors, 5)));
        reopenTimer = setTimeout(openStream, delay);
      }
      refreshConnection();
    });
  }

  setInterval(refreshConnection, 1000);
  refreshConnection();
  drawChart();

  if (typeof window.EventSource !== 'undefined') {
    openStream();
  } else {
    startPolling();
  }
})();
