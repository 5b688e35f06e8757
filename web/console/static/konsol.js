// Konsol Suara Warga: small progressive enhancements. Every page works without this file;
// with it, the toolbar keeps one form open, Tolak and Selesai ask in a dialog, a saved reply
// fills the reply box, and the inbox has keyboard shortcuts (j/k, Enter, r, x, ?).
(function () {
  'use strict';

  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  // The toolbar: one form open at a time; its first field gets the focus.
  document.querySelectorAll('details.tool').forEach(function (d) {
    d.addEventListener('toggle', function () {
      if (!d.open) return;
      document.querySelectorAll('details.tool[open]').forEach(function (o) { if (o !== d) o.open = false; });
      var f = d.querySelector('textarea, select, input:not([type=hidden])');
      if (f) f.focus();
    });
  });

  // Tolak and Selesai: a dialog asks first; "yes" submits with konfirmasi=1.
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (e) {
      var flag = form.querySelector('input[name=konfirmasi]');
      if (!flag || flag.value === '1') return;
      if (!form.reportValidity()) return;
      e.preventDefault();
      var dlg = document.createElement('dialog');
      dlg.className = 'confirm-dialog';
      dlg.setAttribute('aria-labelledby', 'dialog-teks');
      var p = document.createElement('p');
      p.id = 'dialog-teks';
      p.textContent = form.dataset.confirm;
      var yes = document.createElement('button');
      yes.type = 'button';
      yes.id = 'dialog-ya';
      yes.className = 'danger';
      yes.textContent = form.dataset.yes;
      var no = document.createElement('button');
      no.type = 'button';
      no.id = 'dialog-batal';
      no.className = 'secondary';
      no.textContent = form.dataset.no;
      var row = document.createElement('div');
      row.className = 'dialog-buttons';
      row.append(no, yes);
      dlg.append(p, row);
      document.body.append(dlg);
      no.addEventListener('click', function () { dlg.close(); });
      dlg.addEventListener('close', function () { dlg.remove(); });
      yes.addEventListener('click', function () {
        flag.value = '1';
        dlg.close();
        form.submit();
      });
      dlg.showModal();
      no.focus();
    });
  });

  // A saved reply goes straight into the reply box.
  var pick = document.getElementById('balasan');
  var box = document.getElementById('teks-balas');
  if (pick && box) {
    var use = document.querySelector('#pilih-balasan button');
    if (use) use.hidden = true;
    pick.addEventListener('change', function () {
      var o = pick.options[pick.selectedIndex];
      if (!o || !o.dataset.body) return;
      box.value = box.value.trim() ? box.value.replace(/\s+$/, '') + '\n\n' + o.dataset.body : o.dataset.body;
      pick.selectedIndex = 0;
      box.focus();
    });
  }

  // r on a complaint: reply. Esc closes an open tool.
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'Escape') {
      document.querySelectorAll('details.tool[open]').forEach(function (o) { o.open = false; });
      return;
    }
    if (typing(e)) return;
    if (e.key === 'r' && box) {
      e.preventDefault();
      box.scrollIntoView({block: 'center'});
      box.focus();
    }
  });
  // Arriving by "r" from the list (#balas): the reply box gets the focus, again once the page
  // has loaded, since scrolling to the fragment takes it away.
  if (box && location.hash === '#balas') {
    box.focus();
    window.addEventListener('load', function () { setTimeout(function () { box.focus(); }, 0); });
  }

  // The inbox: j/k move, Enter or o opens, r opens to reply, x ticks the row, ? shows the keys.
  var list = document.getElementById('daftar');
  if (list) {
    var rows = Array.prototype.slice.call(list.querySelectorAll('tbody tr'));
    var at = -1;
    var move = function (i) {
      if (!rows.length) return;
      at = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach(function (r, k) { r.classList.toggle('current', k === at); });
      var link = rows[at].querySelector('a.code');
      if (link) link.focus({preventScroll: true});
      rows[at].scrollIntoView({block: 'nearest'});
    };
    rows.forEach(function (r, k) { r.addEventListener('focusin', function () { at = k; rows.forEach(function (o, j) { o.classList.toggle('current', j === k); }); }); });
    document.addEventListener('keydown', function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
      var link = at >= 0 ? rows[at].querySelector('a.code') : null;
      switch (e.key) {
        case 'j': e.preventDefault(); move(at + 1); break;
        case 'k': e.preventDefault(); move(at - 1); break;
        case 'o': case 'Enter': if (link) { e.preventDefault(); location.href = link.href; } break;
        case 'r': if (link) { e.preventDefault(); location.href = link.href + '#balas'; } break;
        case 'x':
          if (at >= 0) {
            var box2 = rows[at].querySelector('input[type=checkbox]');
            if (box2) { e.preventDefault(); box2.click(); }
          }
          break;
        case '?':
          var help = document.getElementById('pintasan');
          if (help) { e.preventDefault(); help.open = !help.open; }
          break;
      }
    });
  }

  // Bulk actions: the select-all box ticks every row.
  var all = document.getElementById('pilih-semua');
  if (all) {
    all.addEventListener('change', function () {
      document.querySelectorAll('#daftar tbody input[type=checkbox]').forEach(function (b) { b.checked = all.checked; });
    });
  }
})();
