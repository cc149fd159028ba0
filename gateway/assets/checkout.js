/*
 * The mock gateway's checkout page script (served as
 * /mock-payment/assets/checkout.js; the page's CSP allows no inline script).
 * Everything it needs comes from data-* attributes:
 *   [data-wib][datetime]            a time shown in WIB (Asia/Jakarta, UTC+7, no daylight saving)
 *   [data-countdown][data-expires-at] the time left to pay; at zero the Pay/Fail actions go
 *   [data-copy]                     a button that copies its value (VA numbers, codes)
 *   [data-actions]                  the Pay/Fail forms, disabled once submitted or expired
 */
(function () {
  'use strict';

  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'Mei', 'Jun', 'Jul', 'Agu', 'Sep', 'Okt', 'Nov', 'Des'];
  var WIB_OFFSET_MS = 7 * 3600 * 1000;

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  /** "28 Nov 2026 16:30 WIB", the same words the server writes. */
  function formatWib(ms) {
    var d = new Date(ms + WIB_OFFSET_MS);
    return (
      d.getUTCDate() +
      ' ' +
      MONTHS[d.getUTCMonth()] +
      ' ' +
      d.getUTCFullYear() +
      ' ' +
      pad(d.getUTCHours()) +
      ':' +
      pad(d.getUTCMinutes()) +
      ' WIB'
    );
  }

  /** "23 jam 59 menit 58 detik" */
  function formatLeft(totalSeconds) {
    var h = Math.floor(totalSeconds / 3600);
    var m = Math.floor((totalSeconds % 3600) / 60);
    var s = totalSeconds % 60;
    return (h > 0 ? h + ' jam ' : '') + pad(m) + ' menit ' + pad(s) + ' detik';
  }

  function disableActions(message) {
    var areas = document.querySelectorAll('[data-actions]');
    for (var i = 0; i < areas.length; i++) {
      var buttons = areas[i].querySelectorAll('button');
      for (var j = 0; j < buttons.length; j++) buttons[j].disabled = true;
      if (message) {
        var forms = areas[i].querySelectorAll('form');
        for (var k = 0; k < forms.length; k++) forms[k].parentNode.removeChild(forms[k]);
        var note = document.createElement('p');
        note.className = 'notice';
        note.setAttribute('data-expired-notice', '');
        note.textContent = message;
        areas[i].appendChild(note);
      }
    }
  }

  function startCountdown(el) {
    var expiresAt = Date.parse(el.getAttribute('data-expires-at') || '');
    if (isNaN(expiresAt)) return;
    var timer = null;
    function tick() {
      var ms = expiresAt - Date.now();
      // over only once the deadline has passed (never a second early: the server would still take the payment)
      if (ms <= 0) {
        el.textContent = 'Waktu pembayaran telah habis';
        el.setAttribute('data-expired', '');
        if (timer !== null) clearInterval(timer);
        disableActions('Batas waktu pembayaran telah lewat. Muat ulang halaman ini untuk melihat status terbaru.');
        return;
      }
      el.textContent = 'Sisa waktu ' + formatLeft(Math.ceil(ms / 1000));
    }
    tick();
    timer = setInterval(tick, 1000);
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand('copy');
      } catch (e) {
        ok = false;
      }
      document.body.removeChild(area);
      if (ok) resolve();
      else reject(new Error('copy failed'));
    });
  }

  function setUpCopy(button) {
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener('click', function () {
      copyText(button.getAttribute('data-copy') || '').then(
        function () {
          button.textContent = 'Tersalin';
          button.setAttribute('data-copied', '');
          setTimeout(function () {
            button.textContent = label;
            button.removeAttribute('data-copied');
          }, 2500);
        },
        function () {
          button.textContent = 'Salin manual';
        },
      );
    });
  }

  function init() {
    var times = document.querySelectorAll('[data-wib][datetime]');
    for (var i = 0; i < times.length; i++) {
      var t = Date.parse(times[i].getAttribute('datetime') || '');
      if (!isNaN(t)) times[i].textContent = formatWib(t);
    }
    var countdowns = document.querySelectorAll('[data-countdown]');
    for (var j = 0; j < countdowns.length; j++) startCountdown(countdowns[j]);
    var copies = document.querySelectorAll('[data-copy]');
    for (var k = 0; k < copies.length; k++) setUpCopy(copies[k]);
    // one submission: the buttons go quiet while the gateway talks to the service
    var forms = document.querySelectorAll('[data-actions] form');
    for (var f = 0; f < forms.length; f++) {
      forms[f].addEventListener('submit', function () {
        setTimeout(function () {
          disableActions(null);
        }, 0);
      });
    }
    document.documentElement.setAttribute('data-checkout-script', 'ready');
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
