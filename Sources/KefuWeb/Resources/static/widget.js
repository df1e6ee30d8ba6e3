// Kefu live-chat loader. Embed with:
//   <script src="https://KEFU/widget.js" data-inbox="INBOX_ID" async></script>
// On a page where the customer is signed in, add data-identity="TOKEN" (from
// POST /api/v1/accounts/me/widget-identity) or call KefuWidget.identify(TOKEN); call
// KefuWidget.reset() when they sign out.
// It adds one iframe at the bottom right; everything else (styles, the chat itself) lives inside
// that iframe, served by Kefu, so the host page's own styles and CSP cannot interfere.
(function () {
  'use strict';
  var script = document.currentScript || document.querySelector('script[data-inbox][src*="/widget.js"]');
  if (!script || window.__kefuWidget) return;
  window.__kefuWidget = true;
  var inbox = script.getAttribute('data-inbox');
  var origin = new URL(script.src, document.baseURI).origin;
  var frame = document.createElement('iframe');
  // The page may say which language to chat in (the help center does); else the browser's.
  var lang = script.getAttribute('data-lang') || navigator.language || 'en';
  frame.src = origin + '/widget/frame?inbox=' + encodeURIComponent(inbox) + '&lang=' + encodeURIComponent(lang);
  frame.title = 'Support chat';
  frame.setAttribute('data-kefu-widget', '');
  frame.setAttribute('allow', 'clipboard-write');
  // Styles through the CSSOM: allowed by a host page CSP that forbids inline styles.
  var style = frame.style;
  style.position = 'fixed';
  style.right = '16px';
  style.bottom = '16px';
  style.width = '72px';
  style.height = '72px';
  style.border = '0';
  style.zIndex = '2147483000';
  style.background = 'transparent';
  style.colorScheme = 'normal';

  // Who is signed in, as the wallet's page vouches: handed to Kefu's frame only (never to a URL).
  var identity = script.getAttribute('data-identity') || null;
  function tell(message) {
    if (frame.contentWindow) frame.contentWindow.postMessage(message, origin);
  }
  window.KefuWidget = {
    identify: function (token) {
      identity = token || null;
      if (identity) tell({ kefu: 'identify', token: identity });
    },
    reset: function () {
      identity = null;
      tell({ kefu: 'reset' });
    },
  };

  function place(open) {
    style.width = open ? Math.min(380, window.innerWidth - 32) + 'px' : '72px';
    style.height = open ? Math.min(620, window.innerHeight - 32) + 'px' : '72px';
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.kefu === 'resize') place(Boolean(data.open));
    if (data.kefu === 'ready' && identity) tell({ kefu: 'identify', token: identity });
  });

  function attach() { document.body.appendChild(frame); }
  if (document.body) attach(); else document.addEventListener('DOMContentLoaded', attach);
})();
