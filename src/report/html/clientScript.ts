/**
 * The page's own script (plain browser JavaScript, no dependencies): the filters over the job
 * rows (each `select[data-filter=K]` keeps the rows whose `data-K` tokens include its value), the
 * scenario search, expanding a job (its detail row; the Mermaid diagrams in it are rendered by the
 * inlined mermaid bundle, when the page has one, as they come near the viewport), and `#job-N` links.
 */
export const CLIENT_SCRIPT = `
(function () {
  'use strict';
  var table = document.querySelector('table.results');
  if (!table) return;
  var rows = Array.prototype.slice.call(table.querySelectorAll('tr.job'));
  var selects = Array.prototype.slice.call(document.querySelectorAll('select[data-filter]'));
  var search = document.querySelector('input[data-search]');
  var count = document.querySelector('.filters .count');
  // Before DOMContentLoaded, so Mermaid does not render every (hidden) diagram on load.
  if (typeof window.mermaid !== 'undefined') {
    window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: 'neutral', sequence: { useMaxWidth: false, wrap: true, width: 180 } });
  }

  function detailOf(row) { return document.getElementById(row.id + '-detail'); }

  // Diagrams render when they come near the viewport: opening every job at once stays cheap.
  var pending = [];
  function flush() {
    var nodes = pending;
    pending = [];
    window.mermaid.run({ nodes: nodes }).catch(function (e) {
      nodes.forEach(function (n) { if (!n.querySelector('svg')) n.setAttribute('data-error', String(e && e.message || e)); });
      console.error('mermaid: ' + (e && e.message || e));
    });
  }
  var observer = typeof window.mermaid === 'undefined' || typeof IntersectionObserver === 'undefined' ? null : new IntersectionObserver(function (entries) {
    entries.forEach(function (en) {
      if (!en.isIntersecting) return;
      observer.unobserve(en.target);
      if (!pending.length) requestAnimationFrame(flush);
      pending.push(en.target);
    });
  }, { rootMargin: '800px 0px' });

  function renderDiagrams(detail) {
    if (!observer) return;
    detail.querySelectorAll('pre.mermaid:not([data-processed]):not([data-queued])').forEach(function (n) {
      n.setAttribute('data-queued', '');
      observer.observe(n);
    });
  }

  function setOpen(row, open) {
    var detail = detailOf(row);
    if (!detail) return;
    row.classList.toggle('open', open);
    row.setAttribute('aria-expanded', open ? 'true' : 'false');
    detail.hidden = !open;
    if (open) renderDiagrams(detail);
  }

  function matches(row) {
    for (var i = 0; i < selects.length; i++) {
      var want = selects[i].value;
      if (!want) continue;
      var have = (row.getAttribute('data-' + selects[i].getAttribute('data-filter')) || '').split(' ');
      if (have.indexOf(want) < 0) return false;
    }
    var q = search ? search.value.trim().toLowerCase() : '';
    return !q || (row.getAttribute('data-scenario') + ' ' + row.getAttribute('data-variant')).toLowerCase().indexOf(q) >= 0;
  }

  function applyFilters() {
    var shown = 0;
    rows.forEach(function (row) {
      var ok = matches(row);
      row.hidden = !ok;
      var detail = detailOf(row);
      if (detail) detail.hidden = !ok || !row.classList.contains('open');
      if (ok) shown++;
    });
    if (count) count.textContent = shown + ' of ' + rows.length + ' jobs shown';
  }

  rows.forEach(function (row) {
    row.addEventListener('click', function (ev) {
      if (ev.target.closest('a')) return;
      setOpen(row, !row.classList.contains('open'));
    });
    row.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); setOpen(row, !row.classList.contains('open')); }
    });
  });
  selects.forEach(function (s) { s.addEventListener('change', applyFilters); });
  if (search) search.addEventListener('input', applyFilters);
  var all = document.querySelector('button[data-expand]');
  if (all) all.addEventListener('click', function () {
    var open = all.getAttribute('data-expand') === 'open';
    rows.forEach(function (r) { if (!r.hidden && detailOf(r)) setOpen(r, open); });
    all.setAttribute('data-expand', open ? 'close' : 'open');
    all.textContent = open ? 'Collapse all' : 'Expand shown';
  });
  var reset = document.querySelector('button[data-reset]');
  if (reset) reset.addEventListener('click', function () {
    selects.forEach(function (s) { s.value = ''; });
    if (search) search.value = '';
    applyFilters();
  });

  function openFromHash() {
    var row = location.hash && document.getElementById(location.hash.slice(1));
    if (row && row.classList.contains('job')) { setOpen(row, true); row.scrollIntoView({ block: 'start' }); }
  }
  window.addEventListener('hashchange', openFromHash);
  applyFilters();
  openFromHash();
})();
`;
