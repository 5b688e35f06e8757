// Suara Warga web chat. Plain ES2017, no build step, no dependencies.
// Every text a person reads comes from the server (locales); messages are
// inserted with textContent only, so HTML in a message shows as text.
(function () {
  'use strict';

  var S = JSON.parse(document.getElementById('sw-strings').textContent || '{}');
  var body = document.body;
  var maxText = parseInt(body.getAttribute('data-max-text'), 10) || 4000;
  var maxPhoto = parseInt(body.getAttribute('data-max-photo'), 10) || 10485760;
  var chat = document.getElementById('chat');
  var form = document.getElementById('composer');
  var textEl = document.getElementById('text');
  var photoBtn = document.getElementById('photo-btn');
  var photoInput = document.getElementById('photo');
  var statusEl = document.getElementById('status');

  var MAX_SIDE = 1600; // photos are shrunk to this many pixels on the long side
  var START = '/start';

  var lastSeq = 0; // the cursor: the highest seq shown (messages are numbered as they become visible)
  var pending = []; // local bubbles of messages sent, waiting for their echo; oldest first
  var queue = []; // messages to send, one at a time, in order
  var sending = false;
  var typingEl = null;
  var typingTimer = 0;
  var wakeSleep = null;
  var statusTimer = 0;
  var outSeen = 0; // bot messages shown so far; a reply that beat the send's answer hides the typing dots

  // t returns a text by key with {name} placeholders filled in.
  function t(key, data) {
    var s = S[key] || key;
    if (data) {
      Object.keys(data).forEach(function (k) { s = s.split('{' + k + '}').join(String(data[k])); });
    }
    return s;
  }

  function uuid() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = '';
    for (var i = 0; i < 16; i++) {
      h += (b[i] + 0x100).toString(16).slice(1);
      if (i === 3 || i === 5 || i === 7 || i === 9) h += '-';
    }
    return h;
  }

  function runeCount(s) { return Array.from(s).length; }

  // sleep waits ms, or less when the page comes back online or into view.
  function sleep(ms) {
    return new Promise(function (resolve) {
      var id = setTimeout(done, ms);
      function done() { clearTimeout(id); if (wakeSleep === done) wakeSleep = null; resolve(); }
      wakeSleep = done;
    });
  }
  function wake() { if (wakeSleep) wakeSleep(); }
  window.addEventListener('online', wake);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) wake(); });

  function backoff(n) { return Math.min(30000, 1000 * Math.pow(2, Math.max(0, n - 1))) * (0.75 + Math.random() / 2); }

  // showStatus shows a short notice above the text box; sticky ones stay until cleared.
  function showStatus(text, sticky) {
    statusEl.textContent = text;
    statusEl.hidden = false;
    statusEl.setAttribute('data-sticky', sticky ? sticky : '');
    clearTimeout(statusTimer);
    if (!sticky) statusTimer = setTimeout(function () { statusEl.hidden = true; }, 6000);
  }
  function clearStatus(sticky) {
    if (statusEl.getAttribute('data-sticky') === sticky) statusEl.hidden = true;
  }

  // follow is whether the chat keeps to its newest message: true until the citizen scrolls up
  // to read, true again once they are back at the bottom.
  var follow = true;
  function nearBottom() { return chat.scrollHeight - chat.scrollTop - chat.clientHeight < 120; }
  function scrollDown() { chat.scrollTop = chat.scrollHeight; follow = true; }
  function keepDown() { if (follow) scrollDown(); }
  chat.addEventListener('scroll', function () { follow = nearBottom(); }, { passive: true });
  // The keyboard opening (or the phone turning) shrinks the chat: keep the latest question in view.
  window.addEventListener('resize', keepDown);
  if (window.visualViewport) window.visualViewport.addEventListener('resize', keepDown);

  function row(dir) {
    var el = document.createElement('div');
    el.className = 'msg ' + (dir === 'out' ? 'bot' : 'user');
    var who = document.createElement('span');
    who.className = 'vh';
    who.textContent = (dir === 'out' ? t('layanan') : t('anda')) + ': ';
    el.appendChild(who);
    return el;
  }
  function addText(el, text) {
    var p = document.createElement('div');
    p.className = 'text';
    p.textContent = text;
    el.appendChild(p);
  }
  // addPhoto shows a photo: the server's preview (or the citizen's own local copy), with the
  // full image behind a tap when full is given.
  function addPhoto(el, src, full) {
    var box = document.createElement('div');
    box.className = 'photo';
    var img = document.createElement('img');
    img.alt = t(full ? 'foto_penuh' : 'foto');
    // A photo grows the chat when it arrives, after the scroll: scroll again then.
    img.addEventListener('load', keepDown);
    img.src = src;
    if (full) {
      var a = document.createElement('a');
      a.href = full;
      a.target = '_blank';
      a.rel = 'noopener';
      a.appendChild(img);
      box.appendChild(a);
    } else {
      box.appendChild(img);
    }
    el.appendChild(box);
  }
  function fullURL(src) { return src.charAt(0) === '/' ? src + (src.indexOf('?') < 0 ? '?' : '&') + 'full=1' : ''; }

  function addState(el, text) {
    var s = el.querySelector('.state');
    if (!s) {
      s = document.createElement('div');
      s.className = 'state';
      el.appendChild(s);
    }
    s.textContent = text;
    return s;
  }
  function point(lat, lng) { return t('lokasi_anda', { lat: (lat || 0).toFixed(5), lng: (lng || 0).toFixed(5) }); }

  function append(el) {
    var stick = follow || nearBottom();
    chat.appendChild(el);
    if (typingEl && el !== typingEl) chat.appendChild(typingEl);
    if (stick) scrollDown();
  }

  function disableChoices() {
    var bs = chat.querySelectorAll('.choices button');
    for (var i = 0; i < bs.length; i++) bs[i].disabled = true;
  }

  function showTyping() {
    if (!typingEl) {
      typingEl = row('out');
      typingEl.classList.add('typing-row');
      var d = document.createElement('div');
      d.className = 'typing';
      d.textContent = t('sedang_membalas');
      typingEl.appendChild(d);
    }
    append(typingEl);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 20000);
  }
  function hideTyping() {
    clearTimeout(typingTimer);
    if (typingEl && typingEl.parentNode) typingEl.parentNode.removeChild(typingEl);
    typingEl = null;
  }

  // render shows one message from the history.
  function render(m) {
    if (m.direction === 'in') {
      if (m.text === START && !m.photo_url && !m.has_location) return; // the page's own start
      answered(m.text);
      var mine = pending.shift();
      var local = '';
      if (mine) {
        var prev = mine.querySelector('img');
        if (prev && prev.src.indexOf('blob:') === 0) local = prev.src;
        if (mine.parentNode) mine.parentNode.removeChild(mine);
      }
    } else {
      outSeen++;
      hideTyping();
      if (asks(m)) disableChoices();
    }
    var el = row(m.direction);
    // The citizen's own photo stays the local copy just sent: it is not downloaded again.
    if (m.photo_url) addPhoto(el, local || m.photo_url, fullURL(m.photo_url));
    else if (local) URL.revokeObjectURL(local);
    if (m.has_location) addText(el, point(m.lat, m.lng));
    if (m.text && !(m.has_location && m.direction === 'in')) addText(el, m.text);
    if (m.download_url) addDownload(el, m.download_url, m.download_label);
    if (m.direction === 'out' && asks(m)) {
      el.appendChild(choiceBox(m));
    }
    append(el);
  }

  function asks(m) { return (m.choices && m.choices.length) || m.ask_location || m.ask_photo; }

  // answered disables the buttons of the question a citizen's message answers (also when
  // the history is loaded again after a reload) and marks the one pressed, by its label.
  function answered(text) {
    var boxes = chat.querySelectorAll('.choices');
    var last = boxes[boxes.length - 1];
    if (last && text) {
      var bs = last.querySelectorAll('button[data-choice]');
      for (var i = 0; i < bs.length; i++) if (bs[i].textContent === text) bs[i].classList.add('chosen');
    }
    disableChoices();
  }

  // addDownload offers a file the bot made for this person (their own data).
  function addDownload(el, url, label) {
    var a = document.createElement('a');
    a.className = 'download';
    a.href = url;
    a.setAttribute('download', '');
    a.textContent = label || url;
    el.appendChild(a);
  }

  function choiceBox(m) {
    var box = document.createElement('div');
    box.className = 'choices';
    if (m.ask_photo) {
      var pb = document.createElement('button');
      pb.type = 'button';
      pb.className = 'photo-choice';
      pb.textContent = t('tombol_foto');
      pb.addEventListener('click', function () { photoInput.click(); });
      box.appendChild(pb);
    }
    if (m.ask_location) {
      var loc = document.createElement('button');
      loc.type = 'button';
      loc.className = 'location';
      loc.textContent = t('kirim_lokasi');
      loc.addEventListener('click', function () { openMap(loc); });
      box.appendChild(loc);
    }
    (m.choices || []).forEach(function (c) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = c.label;
      b.setAttribute('data-choice', c.id);
      b.addEventListener('click', function () {
        disableChoices();
        b.classList.add('chosen');
        send({ kind: 'choice', choice_id: c.id, text: c.label }, { text: c.label });
      });
      box.appendChild(b);
    });
    return box;
  }

  // send queues one message and shows it at once as pending.
  function send(payload, show) {
    payload.client_id = uuid();
    var job = { payload: payload, attempts: 0, el: null };
    if (show) {
      var el = row('in');
      el.classList.add('pending');
      if (show.photo) addPhoto(el, show.photo);
      if (show.text) addText(el, show.text);
      addState(el, t('mengirim'));
      append(el);
      scrollDown();
      job.el = el;
      pending.push(el);
    }
    queue.push(job);
    pump();
  }

  function pump() {
    if (sending) return;
    sending = true;
    (async function () {
      while (queue.length) {
        var job = queue[0];
        var again = await attempt(job);
        if (again) {
          await sleep(backoff(job.attempts));
          continue;
        }
        queue.shift();
      }
      sending = false;
    })();
  }

  // attempt sends a job once; it returns true when the job should be tried again.
  async function attempt(job) {
    job.attempts++;
    var seen = outSeen;
    var resp;
    try {
      if (job.payload.photo) {
        var fd = new FormData();
        fd.append('client_id', job.payload.client_id);
        fd.append('photo', job.payload.photo, 'foto.jpg');
        resp = await fetch('/api/chat/photo', { method: 'POST', body: fd, credentials: 'same-origin' });
      } else {
        resp = await fetch('/api/chat/send', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(job.payload),
          credentials: 'same-origin'
        });
      }
    } catch (e) {
      showStatus(t('koneksi_terputus'));
      return retryOrFail(job, t('koneksi_terputus'));
    }
    if (resp.ok) {
      if (job.el) {
        job.el.classList.remove('pending');
        var s = job.el.querySelector('.state');
        if (s) s.parentNode.removeChild(s);
      }
      clearStatus('');
      if (outSeen === seen) showTyping();
      return false;
    }
    var err = {};
    try { err = await resp.json(); } catch (e) { err = {}; }
    var msg = err.message || t(resp.status === 429 ? 'galat_terlalu_cepat' : 'galat_sibuk');
    if (resp.status === 429 || resp.status >= 500) {
      showStatus(msg);
      return retryOrFail(job, msg);
    }
    fail(job, err.message || t('galat_tidak_valid'));
    return false;
  }

  function retryOrFail(job, msg) {
    if (job.attempts < 8) return true;
    fail(job, msg);
    return false;
  }

  // fail marks a message as not sent, with a button to send it again (same client_id).
  function fail(job, msg) {
    showStatus(msg);
    if (!job.el) return;
    var i = pending.indexOf(job.el);
    if (i >= 0) pending.splice(i, 1);
    job.el.classList.remove('pending');
    job.el.classList.add('failed');
    var s = addState(job.el, t('tidak_terkirim') + ' ' + msg + ' ');
    var again = document.createElement('button');
    again.type = 'button';
    again.className = 'retry';
    again.textContent = t('coba_lagi');
    again.addEventListener('click', function () {
      job.el.classList.remove('failed');
      job.el.classList.add('pending');
      addState(job.el, t('mengirim'));
      pending.push(job.el);
      job.attempts = 0;
      queue.push(job);
      pump();
    });
    s.appendChild(again);
  }

  // The map (Leaflet and map.js) is fetched the first time a citizen asks for it.
  var mapReady = null;
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  function loadMap() {
    if (!mapReady) {
      var css = document.createElement('link');
      css.rel = 'stylesheet';
      css.href = body.getAttribute('data-map-style');
      document.head.appendChild(css);
      mapReady = loadScript(body.getAttribute('data-map-script')).then(function () {
        return loadScript(body.getAttribute('data-map-app'));
      }).then(function () { return window.SWMap; });
      mapReady.catch(function () { mapReady = null; });
    }
    return mapReady;
  }
  function lookupPlace(lat, lng) {
    return getJSON('/api/chat/place?lat=' + lat.toFixed(6) + '&lng=' + lng.toFixed(6), 15000).then(function (d) { return d.name || ''; });
  }

  // openMap shows a map with a pin to drag to the problem's place, starting at the phone's
  // position (or the regency's centre until the phone answers); without a map it falls back
  // to sending the phone's position.
  function openMap(btn) {
    var center = (body.getAttribute('data-map-center') || '').split(',').map(Number);
    if (!body.getAttribute('data-map-app') || center.length !== 2 || isNaN(center[0])) {
      shareLocation(btn);
      return;
    }
    var label = btn.textContent;
    btn.disabled = true;
    btn.textContent = t('membuka_peta');
    loadMap().then(function (M) {
      btn.textContent = label;
      var m = M.open({
        center: center, zoom: 13, tiles: body.getAttribute('data-map-tiles'), t: t, place: lookupPlace, point: point,
        mount: function (panel) { append(panel); scrollDown(); },
        onSend: function (lat, lng, name) {
          disableChoices();
          btn.classList.add('chosen');
          send({ kind: 'location', lat: lat, lng: lng }, { text: name ? '📍 ' + name : point(lat, lng) });
        },
        onCancel: function () { btn.disabled = false; }
      });
      if (navigator.geolocation) {
        navigator.geolocation.getCurrentPosition(function (pos) {
          m.moveTo(pos.coords.latitude, pos.coords.longitude);
        }, function () {}, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
      }
    }, function () {
      btn.disabled = false;
      btn.textContent = label;
      shareLocation(btn);
    });
  }

  function shareLocation(btn) {
    if (!navigator.geolocation) {
      locationFallback();
      return;
    }
    var label = btn.textContent;
    btn.disabled = true;
    btn.textContent = t('mengambil_lokasi');
    navigator.geolocation.getCurrentPosition(function (pos) {
      btn.textContent = label;
      disableChoices();
      btn.classList.add('chosen');
      var lat = pos.coords.latitude;
      var lng = pos.coords.longitude;
      send({ kind: 'location', lat: lat, lng: lng }, { text: point(lat, lng) });
    }, function () {
      btn.disabled = false;
      btn.textContent = label;
      locationFallback();
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  // locationFallback asks for a typed address when the phone cannot give its position.
  function locationFallback() {
    var n = document.createElement('p');
    n.className = 'note';
    n.setAttribute('data-note', 'lokasi_gagal');
    n.textContent = t('lokasi_gagal');
    append(n);
    scrollDown();
    textEl.placeholder = t('placeholder_alamat');
    textEl.focus();
  }

  function autosize() {
    textEl.style.height = 'auto';
    textEl.style.height = Math.min(textEl.scrollHeight + 2, window.innerHeight * 0.4) + 'px';
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var v = textEl.value;
    if (!v.trim()) {
      showStatus(t('galat_kosong'));
      textEl.focus();
      return;
    }
    if (runeCount(v) > maxText) {
      showStatus(t('galat_terlalu_panjang'));
      return;
    }
    textEl.value = '';
    textEl.placeholder = t('placeholder');
    autosize();
    disableChoices();
    send({ kind: 'text', text: v }, { text: v });
  });
  textEl.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });
  textEl.addEventListener('input', autosize);
  textEl.addEventListener('focus', function () { setTimeout(keepDown, 300); });

  photoBtn.addEventListener('click', function () { photoInput.click(); });
  photoInput.addEventListener('change', function () {
    var file = photoInput.files && photoInput.files[0];
    if (!file) return;
    showStatus(t('menyiapkan_foto'));
    shrink(file).then(function (blob) {
      photoInput.value = '';
      if (blob.size > maxPhoto) {
        showStatus(t('galat_foto_besar'));
        return;
      }
      statusEl.hidden = true;
      disableChoices();
      send({ photo: blob }, { photo: URL.createObjectURL(blob) });
    });
  });

  // shrink redraws a large photo as a JPEG of at most MAX_SIDE pixels, so it uploads
  // quickly on a slow network. A photo the browser cannot decode is sent as it is.
  function shrink(file) {
    return new Promise(function (resolve) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var w = img.naturalWidth;
        var h = img.naturalHeight;
        if (w <= MAX_SIDE && h <= MAX_SIDE && file.type === 'image/jpeg' && file.size <= 1572864) {
          URL.revokeObjectURL(url);
          resolve(file);
          return;
        }
        var scale = Math.min(1, MAX_SIDE / Math.max(w, h));
        var c = document.createElement('canvas');
        c.width = Math.max(1, Math.round(w * scale));
        c.height = Math.max(1, Math.round(h * scale));
        var g = c.getContext('2d');
        g.fillStyle = '#fff';
        g.fillRect(0, 0, c.width, c.height);
        g.drawImage(img, 0, 0, c.width, c.height);
        URL.revokeObjectURL(url);
        c.toBlob(function (b) { resolve(b || file); }, 'image/jpeg', 0.82);
      };
      img.onerror = function () {
        URL.revokeObjectURL(url);
        resolve(file);
      };
      img.src = url;
    });
  }

  async function getJSON(url, ms) {
    var ctl = new AbortController();
    var timer = setTimeout(function () { ctl.abort(); }, ms);
    try {
      var resp = await fetch(url, { credentials: 'same-origin', signal: ctl.signal, cache: 'no-store' });
      if (!resp.ok) throw new Error('status ' + resp.status);
      return await resp.json();
    } finally {
      clearTimeout(timer);
    }
  }

  // accept shows the messages not shown yet, in order.
  function accept(list) {
    (list || []).forEach(function (m) {
      if (m.seq > lastSeq) {
        lastSeq = m.seq;
        render(m);
      }
    });
  }

  // poll keeps the page up to date: the history first, then a long-poll loop that
  // resumes with backoff after errors.
  async function poll() {
    var first = true;
    var failures = 0;
    for (;;) {
      try {
        var began = Date.now();
        var data = await getJSON('/api/chat/messages?after=' + lastSeq + (first ? '&wait=0' : ''), 40000);
        failures = 0;
        clearStatus('conn');
        accept(data.messages);
        if (first) {
          first = false;
          scrollDown();
          if (lastSeq === 0) send({ kind: 'text', text: START }, null);
        } else if (!(data.messages || []).length && Date.now() - began < 1000) {
          await sleep(2000); // a server that is shutting down answers at once: do not spin
        }
      } catch (e) {
        failures++;
        if (failures > 1) showStatus(t('koneksi_terputus'), 'conn');
        await sleep(backoff(failures));
      }
    }
  }

  // The page comes with the conversation so far (for a new citizen, the welcome and its
  // buttons): show it before any request, so the buttons work as soon as this script runs.
  var opening = null;
  try { opening = JSON.parse(document.getElementById('sw-history').textContent || 'null'); } catch (e) { opening = null; }
  accept(opening);
  scrollDown();
  document.documentElement.setAttribute('data-ready', 'yes');
  poll();
})();
