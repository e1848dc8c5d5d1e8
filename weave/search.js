/* search.js: the book's search and the contents that follow the reader.
 *
 * Search works from file:// with no server: the text of every step is in
 * search-data.js (written at weave time by book.lua and make), indexed on
 * first use by lunr (lunr.min.js, Debian's libjs-lunr 2.3.9, MIT licence).
 * Both scripts load only when the reader first types in the box.
 *
 * The contents at the side mark the step on screen and keep it in view
 * within their own scrolling, whatever the page's length. */
(function () {
  'use strict';
  var box = document.getElementById('search');
  var list = document.getElementById('results');
  var index = null, docs = null, loading = false, pending = '';

  function load(src, done) {
    var s = document.createElement('script');
    s.src = src;
    s.onload = done;
    document.head.appendChild(s);
  }

  function build() {
    docs = window.BOOK_DOCS || [];
    // Identifiers stay whole: split at anything but letters, digits and _.
    lunr.tokenizer.separator = /[^A-Za-z0-9_]+/;
    index = lunr(function () {
      this.ref('n');
      this.field('t', { boost: 4 });
      this.field('x');
      this.metadataWhitelist = ['position'];
      for (var i = 0; i < docs.length; i++)
        this.add({ n: i, t: docs[i].t, x: docs[i].x });
    });
  }

  function ready(then) {
    if (index) return then();
    pending = then;
    if (loading) return;
    loading = true;
    list.hidden = false;
    list.innerHTML = '<li>Reading the book\u2026</li>';
    load('lunr.min.js', function () {
      load('search-data.js', function () { build(); pending(); });
    });
  }

  function escape(s) {
    return s.replace(/[&<>"]/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c];
    });
  }

  function snippet(doc, result) {
    var text = doc.x, at = 0, len = 0;
    var meta = result.matchData.metadata;
    for (var term in meta)
      if (meta[term].x && meta[term].x.position) {
        at = meta[term].x.position[0][0];
        len = meta[term].x.position[0][1];
        break;
      }
    var from = Math.max(0, at - 60);
    return (from ? '\u2026' : '') + escape(text.slice(from, at)) + '<mark>' +
      escape(text.slice(at, at + len)) + '</mark>' + escape(text.slice(at + len, at + len + 90)) + '\u2026';
  }

  function query(q) {
    var words = q.toLowerCase().split(/[^a-z0-9_]+/).filter(Boolean);
    if (!words.length) return [];
    try {
      return index.query(function (qb) {
        words.forEach(function (w) {
          qb.term(w, { presence: lunr.Query.presence.REQUIRED });
        });
      });
    } catch (e) {
      return [];
    }
  }

  function show() {
    var q = box.value.trim();
    if (!q) { list.hidden = true; return; }
    var results = query(q).slice(0, 30);
    list.hidden = false;
    if (!results.length) {
      list.innerHTML = '<li>Nothing found for \u201c' + escape(q) + '\u201d.</li>';
      return;
    }
    list.innerHTML = results.map(function (r) {
      var d = docs[r.ref];
      var href = d.p + (d.i ? '#' + d.i : '');
      return '<li><a href="' + escape(href) + '">' + escape(d.t) +
        ' <span class="where">' + escape(d.c) + '</span>' +
        '<span class="snippet">' + snippet(d, r) + '</span></a></li>';
    }).join('');
  }

  if (box) {
    box.addEventListener('input', function () { ready(show); });
    box.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { box.value = ''; list.hidden = true; }
      if (e.key === 'Enter') {
        var first = list.querySelector('a');
        if (first) window.location.href = first.href;
      }
    });
    document.addEventListener('click', function (e) {
      if (!box.form.contains(e.target)) list.hidden = true;
    });
    // ?q=words in the address searches at once (tests use it, too).
    var m = /[?&]q=([^&]*)/.exec(window.location.search);
    if (m) { box.value = decodeURIComponent(m[1].replace(/\+/g, ' ')); ready(show); }
  }

  // The contents follow the reader: the step on screen is marked, and kept
  // in view inside the side bar, which scrolls on its own.
  var side = document.querySelector('.side');
  var steps = document.querySelectorAll('main h2[id]');
  if (!side || !steps.length || !('IntersectionObserver' in window)) return;
  var links = {};
  side.querySelectorAll('li.current a[href^="#"]').forEach(function (a) {
    links[decodeURIComponent(a.getAttribute('href').slice(1))] = a;
  });
  var active = null;
  function mark(id) {
    var a = links[id];
    if (!a || a === active) return;
    if (active) active.classList.remove('active');
    a.classList.add('active');
    active = a;
    var top = a.offsetTop - side.offsetTop, h = side.clientHeight;
    if (top < side.scrollTop + 40 || top > side.scrollTop + h - 60)
      side.scrollTop = top - h / 3;
  }
  function update() {
    var current = steps[0].id;
    for (var i = 0; i < steps.length; i++) {
      if (steps[i].getBoundingClientRect().top > 120) break;
      current = steps[i].id;
    }
    mark(current);
  }
  var observer = new IntersectionObserver(update, { rootMargin: '0px 0px -60% 0px' });
  steps.forEach(function (s) { observer.observe(s); });
  window.addEventListener('hashchange', update);
  update();
})();
