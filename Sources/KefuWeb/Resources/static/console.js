import './console-help.js';
// Small progressive enhancements for the console; every page works without them.
// Live updates: the agent WebSocket says *that* something changed; the page re-reads itself
// and swaps the parts marked data-live, so what agents see is always what the server renders.

const lang = document.documentElement.lang || 'en';
const format = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });

// Render timestamps in the agent's own time zone and language.
function localizeTimes(root) {
  for (const element of root.querySelectorAll('time[datetime]')) {
    const date = new Date(element.getAttribute('datetime'));
    if (!Number.isNaN(date.getTime())) element.textContent = format.format(date);
  }
}

// Never submit a form twice by double-clicking.
function guardForms(root) {
  for (const form of root.querySelectorAll('form')) {
    form.addEventListener('submit', () => {
      for (const button of form.querySelectorAll('button[type=submit]')) setTimeout(() => { button.disabled = true; }, 0);
    });
  }
}

function showLatestMessage() {
  const last = document.querySelector('.messages li:last-child');
  if (last) last.scrollIntoView({ block: 'end' });
}

localizeTimes(document);
guardForms(document);

const composer = document.querySelector('form.composer');
const feed = document.querySelector('[data-feed]');
const conversationId = feed?.dataset.conversationId;
let socket = null;

if (composer) {
  // Ctrl/Cmd+Enter sends the reply.
  composer.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  // Tell the customer an agent is typing (at most every 3 seconds).
  let lastTyping = 0;
  composer.querySelector('textarea').addEventListener('input', () => {
    const now = Date.now();
    if (now - lastTyping < 3000 || socket?.readyState !== WebSocket.OPEN) return;
    lastTyping = now;
    socket.send(JSON.stringify({ type: 'typing', conversationId, isTyping: true }));
  });
  showLatestMessage();
  setUpCannedReplies(composer.querySelector('textarea'));
  setUpAttachments(composer);
}

// Attachments: upload first (the API sniffs and stores the file), then send its id with the reply.
function setUpAttachments(form) {
  const input = document.getElementById('attach-file');
  if (!input) return;
  input.addEventListener('change', async () => {
    const file = input.files[0];
    input.value = '';
    if (!file) return;
    const csrf = form.querySelector('input[name=_csrf]').value;
    const response = await fetch(`/api/v1/attachments?filename=${encodeURIComponent(file.name)}`, {
      method: 'POST', body: file, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf },
    });
    const names = document.getElementById('attached-names');
    if (!response.ok) { names.textContent = '✕'; return; }
    const attachment = await response.json();
    const ids = document.getElementById('attachment-ids');
    ids.value = ids.value ? `${ids.value},${attachment.id}` : attachment.id;
    names.textContent = `${names.textContent} 📎 ${attachment.filename}`.trim();
  });
}

// The agent's picture: the file goes to the API as is (the server checks what it really is).
function setUpAvatar() {
  const form = document.getElementById('avatar-form');
  if (!form) return;
  const headers = { 'X-CSRF-Token': form.dataset.csrf };
  const done = (response) => {
    if (response.ok) { location.reload(); return; }
    document.getElementById('avatar-error').hidden = false;
  };
  document.getElementById('avatar-file').addEventListener('change', async (event) => {
    const file = event.target.files[0];
    event.target.value = '';
    if (file) done(await fetch('/api/v1/me/avatar', { method: 'PUT', body: file, credentials: 'same-origin', headers }));
  });
  document.getElementById('avatar-remove')?.addEventListener('click', async () => {
    done(await fetch('/api/v1/me/avatar', { method: 'DELETE', credentials: 'same-origin', headers }));
  });
}
setUpAvatar();

// Saved answers: "/reset" then Tab (or a click on the suggestion) inserts the answer.
function setUpCannedReplies(textarea) {
  const replies = JSON.parse(textarea.dataset.canned || '[]');
  const list = document.getElementById('canned-suggestions');
  if (!replies.length || !list) return;
  const tokenBeforeCaret = () => {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const match = before.match(/(?:^|\s)\/([a-z0-9_-]*)$/i);
    return match ? { start: before.length - match[1].length - 1, query: match[1].toLowerCase() } : null;
  };
  const insert = (reply, token) => {
    const after = textarea.value.slice(textarea.selectionStart);
    textarea.value = textarea.value.slice(0, token.start) + reply.body + after;
    const caret = token.start + reply.body.length;
    textarea.setSelectionRange(caret, caret);
    list.hidden = true;
    textarea.focus();
  };
  const matches = () => {
    const token = tokenBeforeCaret();
    return token ? { token, found: replies.filter((r) => r.shortcut.startsWith(token.query)).slice(0, 6) } : { token: null, found: [] };
  };
  textarea.addEventListener('input', () => {
    const { token, found } = matches();
    list.replaceChildren(...found.map((reply) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      const code = document.createElement('code');
      code.textContent = `/${reply.shortcut}`;
      const preview = document.createElement('span');
      preview.textContent = ` ${reply.body.slice(0, 80)}`;
      button.append(code, preview);
      button.addEventListener('click', () => insert(reply, tokenBeforeCaret() || token));
      item.append(button);
      return item;
    }));
    list.hidden = found.length === 0;
  });
  textarea.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab' || list.hidden) return;
    const { token, found } = matches();
    if (!token || !found.length) return;
    event.preventDefault();
    insert(found[0], token);
  });
}

// What the agent is in the middle of inside a live region (typed text, a choice, an open
// <details>, the caret) outlives the swap: a customer's new message or a mail's delivery
// must not wipe a half-written reason or close the form it is in. Fields are known by their
// form's action and their name; a field the agent has not touched takes the fresh value.
const isChoice = (field) => field.type === 'checkbox' || field.type === 'radio';
function fieldKey(field) {
  if (!field?.form || !field.name || field.type === 'hidden') return null;
  const key = `${field.form.getAttribute('action')}|${field.name}`;
  return isChoice(field) ? `${key}|${field.value}` : key;
}
function edited(field) {
  if (isChoice(field)) return field.checked !== field.defaultChecked;
  if (field.tagName === 'SELECT') return [...field.options].some((option) => option.selected !== option.defaultSelected);
  return field.value !== field.defaultValue;
}
function detailsKey(details) {
  return details.querySelector('form')?.getAttribute('action') ?? null;
}
function workInProgress(region) {
  const open = new Set([...region.querySelectorAll('details[open]')].map(detailsKey).filter(Boolean));
  const values = new Map();
  for (const field of region.querySelectorAll('input, textarea, select')) {
    const key = fieldKey(field);
    if (key && edited(field)) values.set(key, isChoice(field) ? field.checked : field.value);
  }
  const active = document.activeElement;
  const activeKey = region.contains(active) ? fieldKey(active) : null;
  const focus = activeKey ? { key: activeKey, start: active.selectionStart, end: active.selectionEnd } : null;
  return { open, values, focus };
}
function restoreWork(region, work) {
  for (const details of region.querySelectorAll('details')) {
    if (work.open.has(detailsKey(details))) details.open = true;
  }
  for (const field of region.querySelectorAll('input, textarea, select')) {
    const key = fieldKey(field);
    if (!key) continue;
    if (work.values.has(key)) {
      if (isChoice(field)) field.checked = work.values.get(key);
      else field.value = work.values.get(key);
    }
    if (work.focus?.key === key) {
      field.focus({ preventScroll: true });
      if (work.focus.start != null) {
        try { field.setSelectionRange(work.focus.start, work.focus.end); } catch (_) { /* not a text field */ }
      }
    }
  }
}

let refreshTimer = null;
async function refresh() {
  const response = await fetch(location.href, { credentials: 'same-origin' });
  if (!response.ok || response.redirected) return;
  const fresh = new DOMParser().parseFromString(await response.text(), 'text/html');
  const wasAtEnd = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
  for (const element of document.querySelectorAll('[data-live]')) {
    const replacement = fresh.getElementById(element.id);
    if (!replacement) continue;
    const adopted = document.importNode(replacement, true);
    const work = workInProgress(element);
    element.replaceWith(adopted);
    restoreWork(adopted, work);
    localizeTimes(adopted);
    guardForms(adopted);
  }
  if (conversationId && wasAtEnd) showLatestMessage();
  markRead();
}

// Tell the customer an agent has seen their messages (only while this page is visible).
let readSent = 0;
function markRead() {
  if (!conversationId || document.hidden || socket?.readyState !== WebSocket.OPEN) return;
  const seqs = [...document.querySelectorAll('#messages li[data-seq]')].map((li) => Number(li.dataset.seq));
  const last = Math.max(0, ...seqs);
  if (last <= readSent) return;
  readSent = last;
  socket.send(JSON.stringify({ type: 'read', conversationId, seq: last }));
}
document.addEventListener('visibilitychange', markRead);
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150);
}
// An .ics file chosen on the calendar form is read into the text the form posts.
for (const input of document.querySelectorAll('[data-ics-file]')) {
  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    const text = input.form?.querySelector('[data-ics-text]');
    if (file && text) text.value = await file.text();
  });
}
// Unread notifications (response-target warnings and misses) beside the link to them.
async function showUnread() {
  const badge = document.getElementById('notification-count');
  if (!badge || document.hidden) return;
  try {
    const response = await fetch('/api/v1/notifications?limit=1', { credentials: 'same-origin' });
    if (!response.ok) return;
    const { unread } = await response.json();
    badge.textContent = unread > 99 ? '99+' : String(unread);
    badge.hidden = unread === 0;
  } catch (_) { /* offline: the next round tries again */ }
}
showUnread();
setInterval(showUnread, 30000);
document.addEventListener('visibilitychange', showUnread);
// Response-target countdowns are rendered by the server: re-read while any is running.
setInterval(() => { if (!document.hidden && document.querySelector('[data-sla-due]')) scheduleRefresh(); }, 30000);

// Optional alerts for new customer messages while the tab is in the background: a short tone
// (generated, no audio file) and a desktop notification when the browser allows it.
const notifyButton = document.getElementById('notify');
let alertsOn = localStorage.getItem('kefu:alerts') === 'on';
function showAlertState() {
  if (notifyButton) notifyButton.textContent = alertsOn ? notifyButton.dataset.labelOn : notifyButton.dataset.labelOff;
}
notifyButton?.addEventListener('click', async () => {
  alertsOn = !alertsOn;
  localStorage.setItem('kefu:alerts', alertsOn ? 'on' : 'off');
  if (alertsOn && 'Notification' in window && Notification.permission === 'default') {
    try { await Notification.requestPermission(); } catch (_) { /* the tone still works */ }
  }
  showAlertState();
});
showAlertState();

function alertAgent(frame) {
  if (!alertsOn || !document.hidden) return;
  try {
    const context = new AudioContext();
    const tone = context.createOscillator();
    const gain = context.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, context.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, context.currentTime + 0.25);
    tone.connect(gain).connect(context.destination);
    tone.start();
    tone.stop(context.currentTime + 0.25);
  } catch (_) { /* no audio device */ }
  if ('Notification' in window && Notification.permission === 'granted') {
    const note = new Notification(notifyButton.dataset.title, { body: frame.text.slice(0, 140), tag: frame.conversationId });
    note.onclick = () => { window.focus(); location.href = `/console/conversations/${frame.conversationId}`; };
  }
}

let unread = 0;
const baseTitle = document.title;
window.addEventListener('focus', () => { unread = 0; document.title = baseTitle; });

// The presence switch follows the connection: connected means online unless set away.
function showConnection(connected) {
  const form = document.querySelector('form.presence');
  if (!form || form.dataset.status === 'away') return;
  form.querySelector('.dot').className = `dot ${connected ? 'online' : 'offline'}`;
  form.querySelector('.presence-label').textContent = connected ? form.dataset.labelOnline : form.dataset.labelOffline;
}

let typingTimer = null;
function onFrame(frame) {
  switch (frame.type) {
    case 'read':
      if (frame.conversationId === conversationId && frame.by === 'contact') scheduleRefresh();
      break;
    case 'delivery':
      if (frame.conversationId === conversationId) scheduleRefresh();
      break;
    case 'hello':
      showConnection(true);
      markRead();
      // Anything missed while away, or a read that happened while this page was loading.
      // Also a reply's mail that was still on its way when the page was drawn (its "sent" may
      // have come before this connection).
      if (onFrame.connectedBefore || (frame.contactReadSeq ?? 0) > Number(feed?.dataset.contactRead || 0)
          || document.querySelector('.delivery.queued, .delivery.sending')) scheduleRefresh();
      onFrame.connectedBefore = true;
      break;
    case 'message':
      if (!conversationId || frame.conversationId === conversationId) scheduleRefresh();
      if (frame.direction === 'incoming' && document.hidden) {
        unread += 1;
        document.title = `(${unread}) ${baseTitle}`;
        alertAgent(frame);
      }
      break;
    case 'typing': {
      const indicator = document.getElementById('typing');
      if (!indicator || frame.conversationId !== conversationId || frame.author.kind !== 'contact') break;
      indicator.hidden = !frame.isTyping;
      clearTimeout(typingTimer);
      if (frame.isTyping) typingTimer = setTimeout(() => { indicator.hidden = true; }, 6000);
      break;
    }
  }
}

let retry = 0;
function connect() {
  const url = new URL('/api/v1/agent/ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  if (conversationId) {
    url.searchParams.set('conversationId', conversationId);
    url.searchParams.set('since', feed.dataset.lastSeq || '0');
  }
  socket = new WebSocket(url);
  socket.addEventListener('open', () => { retry = 0; });
  socket.addEventListener('message', (event) => onFrame(JSON.parse(event.data)));
  socket.addEventListener('close', () => {
    socket = null;
    showConnection(false);
    setTimeout(connect, Math.min(15000, 500 * 2 ** retry++));
  });
}
// Every signed-in page keeps the agent's feed open: it is what makes them "online".
if (feed || document.querySelector('form.presence')) connect();

// "Paste into the reply": a ready explanation (e.g. the customer's limits) goes into the
// composer at the caret, for the agent to edit before sending.
document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-paste]');
  const textarea = document.getElementById('reply-text');
  if (!button || !textarea) return;
  const start = textarea.selectionStart ?? textarea.value.length;
  const text = button.dataset.paste;
  textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(textarea.selectionEnd ?? start);
  textarea.setSelectionRange(start + text.length, start + text.length);
  textarea.focus();
});
