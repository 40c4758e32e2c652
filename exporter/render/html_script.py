"""The HTML archive's one script, written as ``js/archive.js``; every page loads it (deferred).

It only adds to pages that read fully without it:

* times: every ``<time datetime>`` (a UTC instant) is shown in the reader's time zone, its
  tooltip saying that zone and the UTC time; the day separators are placed by the reader's days,
  and the header names the zone.  Without the script the page shows the export's zone, named;
* the header's height is measured into ``--header``, which the stylesheet keeps clear above a
  message a link jumps to (``scroll-padding-top``), however the header wraps on a narrow screen;
* search: the header's box looks through ``search/N.js`` (:mod:`.html_search`), loaded with
  ``<script>`` elements (``fetch`` of ``file://`` is refused), one file after another and only
  once something is typed; results link to the message on its page.

Text from the archive is only ever put into the page as text (``textContent``), never as HTML.
"""

SCRIPT = r"""(function () {
  'use strict';
  var me = document.currentScript;
  var root = me.getAttribute('data-root') || '';
  var forum = me.hasAttribute('data-forum');
  var html = document.documentElement;
  html.classList.add('js');
  var MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
    'September', 'October', 'November', 'December'];
  var MAX_SHOWN = 100;

  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function dayText(d) { return d.getDate() + ' ' + MONTHS[d.getMonth()] + ' ' + d.getFullYear(); }
  function clock(d, seconds) {
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + (seconds ? ':' + pad(d.getSeconds()) : '');
  }
  function offset(d) {
    var minutes = -d.getTimezoneOffset();
    var sign = minutes < 0 ? '-' : '+';
    minutes = Math.abs(minutes);
    return 'UTC' + sign + pad(Math.floor(minutes / 60)) + ':' + pad(minutes % 60);
  }
  var zone = '';
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { zone = ''; }
  function tooltip(d) {
    var utc = d.toISOString().slice(0, 19).replace('T', ' ');
    return dayText(d) + ' ' + clock(d, true) + ' ' + (zone ? zone + ' (' + offset(d) + ')' : offset(d)) +
      ' \u00b7 ' + utc + ' UTC';
  }

  function localTimes() {
    document.querySelectorAll('time[datetime]').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d.getTime())) return;
      t.textContent = t.classList.contains('full') ? dayText(d) + ' ' + clock(d) : clock(d);
      t.title = tooltip(d);
    });
    document.querySelectorAll('[data-utc]').forEach(function (e) {
      var d = new Date(e.getAttribute('data-utc'));
      if (!isNaN(d.getTime())) e.title = tooltip(d);
    });
    var history = document.querySelector('.history');
    if (history) {
      history.querySelectorAll('.date_separator').forEach(function (s) { s.remove(); });
      var last = '';
      history.querySelectorAll('.history > .message').forEach(function (m) {
        var t = m.querySelector('.date time, [data-utc]');
        if (!t) return;
        var d = new Date(t.getAttribute('datetime') || t.getAttribute('data-utc'));
        if (isNaN(d.getTime())) return;
        var label = dayText(d);
        if (label === last) return;
        last = label;
        var separator = document.createElement('div');
        separator.className = 'message service date_separator';
        var body = document.createElement('div');
        body.className = 'body';
        body.textContent = label;
        separator.appendChild(body);
        history.insertBefore(separator, m);
      });
    }
    var now = new Date();
    document.querySelectorAll('.zone').forEach(function (z) {
      z.textContent = 'Times in your time zone, ' + (zone ? zone + ' (' + offset(now) + ')' : offset(now));
    });
  }

  var header = document.querySelector('.page_header');
  function fitHeader() {
    if (header) html.style.setProperty('--header', header.offsetHeight + 'px');
  }

  // ------------------------------------------------------------------ search
  function fold(text) {
    return text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().replace(/\s+/g, ' ');
  }
  var files = [];
  var complete = false;
  var loading = [];
  var arrived = [];
  window.archiveSearch = {
    chunk: function (number, rows, last, topics) {
      rows.forEach(function (row) { row.push(fold(row[5])); });
      files[number - 1] = {rows: rows, topics: topics};
      if (last) complete = true;
      if (arrived[number]) arrived[number]();
    }
  };
  // One <script> per index file however many searches wait for it.
  function load(number) {
    if (!loading[number]) {
      loading[number] = new Promise(function (resolve, reject) {
        arrived[number] = resolve;
        var script = document.createElement('script');
        script.src = root + 'search/' + number + '.js';
        script.onerror = function () { loading[number] = null; reject(new Error(script.src)); };
        document.head.appendChild(script);
      });
    }
    return loading[number];
  }
  function pageFile(page) { return page === 1 ? 'messages.html' : 'messages' + page + '.html'; }
  function link(row) {
    var page = pageFile(row[2]) + '#' + (typeof row[0] === 'string' ? row[0] : 'message' + row[0]);
    return root + (forum ? 'topics/' + row[1] + '/' + page : page);
  }
  // The stretch of ``text`` around the first place ``word`` (folded) is found, with that place marked.
  function excerpt(text, word) {
    var folded = '';
    var starts = [];
    for (var i = 0; i < text.length;) {
      var ch = String.fromCodePoint(text.codePointAt(i));
      var piece = fold(ch);
      for (var k = 0; k < piece.length; k++) starts.push(i);
      folded += piece;
      i += ch.length;
    }
    starts.push(text.length);
    var at = folded.indexOf(word);
    var out = document.createElement('span');
    out.className = 'result_text';
    if (at < 0) { out.textContent = text.slice(0, 160); return out; }
    var from = starts[at];
    var to = starts[at + word.length];
    var begin = Math.max(0, from - 60);
    out.appendChild(document.createTextNode((begin ? '\u2026' : '') + text.slice(begin, from)));
    var mark = document.createElement('mark');
    mark.textContent = text.slice(from, to);
    out.appendChild(mark);
    out.appendChild(document.createTextNode(text.slice(to, to + 100) + (to + 100 < text.length ? '\u2026' : '')));
    return out;
  }
  function resultItem(row, topics, word) {
    var a = document.createElement('a');
    a.className = 'result';
    a.href = link(row);
    var meta = document.createElement('span');
    meta.className = 'result_meta details';
    var when = new Date(row[3] * 1000);
    var parts = [row[4], dayText(when) + ' ' + clock(when)];
    if (forum && topics[row[1]]) parts.push(topics[row[1]]);
    meta.textContent = parts.join(' \u00b7 ');
    a.appendChild(meta);
    a.appendChild(excerpt(row[5], word));
    return a;
  }

  var form = document.querySelector('.search');
  var input = form && form.querySelector('input');
  var panel = document.querySelector('.search_results');
  var generation = 0;
  async function search(query) {
    var run = ++generation;
    var words = fold(query).trim().split(' ').filter(Boolean);
    panel.textContent = '';
    if (!words.length) { panel.hidden = true; fitHeader(); return; }
    panel.hidden = false;
    var status = document.createElement('div');
    status.className = 'result_status details';
    panel.appendChild(status);
    var found = 0;
    var looked = 0;
    for (var n = 0; ; n++) {
      if (!files[n]) {
        if (complete) break;
        status.textContent = 'Searching\u2026 ' + looked.toLocaleString('en') + ' messages so far';
        try { await load(n + 1); } catch (e) { status.textContent = 'The search index is missing: ' + e.message; return; }
        if (run !== generation) return;
        if (!files[n]) break;
      }
      var file = files[n];
      for (var r = 0; r < file.rows.length; r++) {
        var row = file.rows[r];
        if (words.every(function (w) { return row[6].indexOf(w) >= 0; })) {
          found++;
          if (found <= MAX_SHOWN) panel.appendChild(resultItem(row, file.topics, words[0]));
        }
      }
      looked += file.rows.length;
    }
    var shown = Math.min(found, MAX_SHOWN);
    status.textContent = found === 0 ? 'No messages found' :
      (found > shown ? 'The first ' + shown + ' of ' : '') + found.toLocaleString('en') +
      (found === 1 ? ' message found' : ' messages found');
  }
  if (form && input && panel) {
    var timer = 0;
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { search(input.value); }, 150);
    });
    form.addEventListener('submit', function (event) { event.preventDefault(); search(input.value); });
    input.addEventListener('keydown', function (event) {
      if (event.key === 'Escape') { input.value = ''; search(''); }
    });
    panel.addEventListener('click', function (event) {
      if (event.target.closest('a')) { panel.hidden = true; fitHeader(); }
    });
  }

  localTimes();
  fitHeader();
  window.addEventListener('resize', fitHeader);
  // The browser scrolled to the message named in the address before the header had its height;
  // a comment named there is in its post's closed section, opened first (not every browser does).
  function reveal() {
    if (location.hash.length <= 1) return;
    var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!target) return;
    for (var d = target.closest('details'); d; d = d.parentElement && d.parentElement.closest('details')) d.open = true;
    target.scrollIntoView();
  }
  reveal();
  window.addEventListener('hashchange', reveal);
})();
"""
