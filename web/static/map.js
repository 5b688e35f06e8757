// Suara Warga web chat: the map for "Kirim lokasi", loaded with Leaflet only when asked.
// A draggable pin over OpenStreetMap tiles, the place name under it as it moves; when the
// tiles cannot load the pin still moves over a plain grid.
(function () {
  'use strict';
  var current = null;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  // open builds the map panel; o: {center: [lat, lng], zoom, tiles, t, place(lat, lng) ->
  // Promise<name>, point(lat, lng) -> text, mount(panel), onSend(lat, lng, name), onCancel()}.
  function open(o) {
    var panel = el('div', 'mappanel');
    panel.setAttribute('role', 'group');
    panel.setAttribute('aria-label', o.t('penanda'));
    var hint = el('p', 'maphint', o.t('peta_petunjuk'));
    var box = el('div', 'map');
    var place = el('p', 'mapplace');
    place.setAttribute('aria-live', 'polite');
    var actions = el('div', 'choices');
    var sendBtn = el('button', 'chosen-action', o.t('kirim_titik'));
    sendBtn.type = 'button';
    var cancelBtn = el('button', '', o.t('batal'));
    cancelBtn.type = 'button';
    actions.appendChild(sendBtn);
    actions.appendChild(cancelBtn);
    panel.appendChild(hint);
    panel.appendChild(box);
    panel.appendChild(place);
    panel.appendChild(actions);
    o.mount(panel);

    var map = L.map(box, { zoomControl: true, attributionControl: true }).setView(o.center, o.zoom);
    var layer = L.tileLayer(o.tiles, { maxZoom: 19, attribution: '© OpenStreetMap' }).addTo(map);
    var loaded = false;
    var failed = false;
    layer.on('tileload', function () { loaded = true; });
    layer.on('tileerror', function () {
      if (loaded || failed) return;
      failed = true;
      box.classList.add('notiles');
      hint.textContent = o.t('peta_gagal');
      hint.classList.add('note');
    });
    var icon = L.divIcon({ className: 'pin', iconSize: [28, 40], iconAnchor: [14, 40], html: '<span></span>' });
    var marker = L.marker(o.center, { draggable: true, icon: icon, keyboard: true, title: o.t('penanda'), alt: o.t('penanda') }).addTo(map);
    var moved = false;
    var name = '';
    var asked = 0;
    var timer = 0;

    function lookup() {
      var ll = marker.getLatLng();
      var n = ++asked;
      place.textContent = o.t('mencari_tempat');
      o.place(ll.lat, ll.lng).then(function (found) {
        if (n !== asked) return;
        name = found || '';
        place.textContent = name ? '📍 ' + name : o.point(ll.lat, ll.lng);
      }, function () {
        if (n !== asked) return;
        name = '';
        place.textContent = o.point(ll.lat, ll.lng);
      });
    }
    marker.on('drag', function () {
      moved = true;
      clearTimeout(timer);
      timer = setTimeout(lookup, 250);
    });
    marker.on('dragend', function () { clearTimeout(timer); lookup(); });
    map.on('click', function (e) {
      moved = true;
      marker.setLatLng(e.latlng);
      lookup();
    });
    lookup();

    function close() {
      clearTimeout(timer);
      map.remove();
      if (panel.parentNode) panel.parentNode.removeChild(panel);
      current = null;
    }
    sendBtn.addEventListener('click', function () {
      var ll = marker.getLatLng();
      var said = name;
      close();
      o.onSend(ll.lat, ll.lng, said);
    });
    cancelBtn.addEventListener('click', function () {
      close();
      o.onCancel();
    });
    current = {
      // moveTo puts the pin where the phone is, unless the citizen moved it already.
      moveTo: function (lat, lng) {
        if (moved) return;
        marker.setLatLng([lat, lng]);
        map.setView([lat, lng], 17);
        lookup();
      },
      pin: function () { var ll = marker.getLatLng(); return [ll.lat, ll.lng]; },
      tilesFailed: function () { return failed; },
      close: close
    };
    return current;
  }

  window.SWMap = { open: open, current: function () { return current; } };
})();
