// The chat inside the widget iframe: session, WebSocket, replay after reconnect, pending
// messages resent until acknowledged. Customer and agent text is only ever set as textContent.
import { helpArticles } from './widget-help.js';
import { safetyPanel } from './widget-safety.js';

const body = document.body;
const inbox = body.dataset.inbox;
const t = JSON.parse(body.dataset.strings);
// An inbox whose pre-chat form asks nothing starts the chat as soon as the visitor opens it.
const asksNothing = body.dataset.asksNothing === 'true';
const storageKey = `kefu:${inbox}`;
const $ = (id) => document.getElementById(id);

const remembered = JSON.parse(localStorage.getItem(storageKey) || '{}');
const state = {
  token: remembered.token,
  conversationId: remembered.conversationId,
  contactId: remembered.contactId,
  identity: null, // the wallet page's "who is signed in" token, when it sent one
  identified: false, // the page's token held: the customer needs no emailed proof
  // A fresh page has shown nothing yet, so it replays the conversation from the start;
  // lastSeq only saves work on reconnects within this page.
  lastSeq: 0,
  socket: null,
  open: false,
  retry: 0,
  pending: new Map(), // clientMsgId -> { text, element, acked }
  agentReadSeq: 0,
  readSent: 0,
  shown: new Set(), // seqs rendered for the current conversation
};

function save() {
  const { token, conversationId, contactId } = state;
  localStorage.setItem(storageKey, JSON.stringify({ token, conversationId, contactId }));
}

// The help center's articles, offered while the visitor types the first message.
const help = helpArticles({ $, t });
safetyPanel({ $, t, state });
// Nothing sent yet in this conversation (no message on screen): the first message is being typed.
const firstMessage = () => $('messages').querySelector('.message') === null;

function setOpen(open) {
  state.open = open;
  $('panel').hidden = !open;
  $('launcher').setAttribute('aria-expanded', String(open));
  $('launcher-label').textContent = open ? t.widget_close : t.widget_open;
  parent.postMessage({ kefu: 'resize', open }, '*');
  if (open) {
    if (state.token) { showChat(); connect(); } else if (asksNothing) { startSession(); } else { $('prechat').hidden = false; }
  }
}

function showChat() {
  $('prechat').hidden = true;
  $('verify').hidden = true;
  $('composer').hidden = false;
  $('keep').hidden = Boolean(state.identified);
  $('text').focus();
}

function renderMessage(frame) {
  const item = document.createElement('li');
  item.className = `message ${frame.direction}`;
  item.dataset.seq = frame.seq;
  const who = document.createElement('div');
  who.className = 'who';
  const name = frame.direction === 'incoming' ? t.widget_you : (frame.author?.name || t.widget_agent);
  if (frame.direction === 'outgoing') who.append(avatar(name, frame.author?.avatarUrl));
  who.append(document.createTextNode(name));
  // A real agent's reply carries the code the visitor can check ("Is it really us?").
  if (frame.agentCode) {
    const code = document.createElement('span');
    code.className = 'agent-code';
    code.dataset.testid = 'agent-code';
    code.textContent = t.widget_agent_code.replace('{code}', frame.agentCode);
    who.append(code);
  }
  const text = document.createElement('div');
  text.className = 'text';
  text.textContent = frame.text;
  item.append(who, text);
  if (frame.attachments?.length) item.append(renderFiles(frame.attachments));
  return item;
}

// Agents appear with their picture when they uploaded one, else with their initials on a
// colour derived from their name, so the same agent always looks the same.
function avatar(name, url) {
  if (url && url.startsWith('/avatars/')) {
    const image = document.createElement('img');
    image.className = 'avatar';
    image.src = url;
    image.alt = '';
    return image;
  }
  const badge = document.createElement('span');
  badge.className = 'avatar';
  badge.setAttribute('aria-hidden', 'true');
  const latin = name.match(/[A-Za-z]+/g);
  badge.textContent = latin && latin.length > 1 ? (latin[0][0] + latin[1][0]).toUpperCase() : [...name.trim()][0] || '?';
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.codePointAt(0)) % 360;
  badge.style.backgroundColor = `hsl(${hash}, 55%, 45%)`;
  return badge;
}

function fileURL(attachment) {
  return `/api/v1/widget/attachments/${attachment.id}?token=${encodeURIComponent(state.token)}`;
}

function renderFiles(attachments) {
  const list = document.createElement('div');
  list.className = 'files';
  for (const attachment of attachments) {
    if (attachment.contentType.startsWith('image/') && attachment.id) {
      const image = document.createElement('img');
      image.src = fileURL(attachment);
      image.alt = attachment.filename;
      list.append(image);
    } else {
      const link = document.createElement(attachment.id ? 'a' : 'span');
      if (attachment.id) { link.href = fileURL(attachment); link.target = '_blank'; link.rel = 'noopener'; }
      link.textContent = `📄 ${attachment.filename}`;
      list.append(link);
    }
  }
  return list;
}

// The satisfaction survey, in the chat where it was asked: five stars, a comment, send.
function renderSurvey(surveyId) {
  if (document.querySelector(`.survey[data-survey="${surveyId}"]`)) return;
  const item = document.createElement('li');
  item.className = 'survey';
  item.dataset.survey = surveyId;
  item.dataset.testid = 'widget-survey';
  const question = document.createElement('p');
  question.textContent = t.widget_csat_question;
  const stars = document.createElement('div');
  stars.className = 'stars';
  let chosen = 0;
  for (let rating = 1; rating <= 5; rating += 1) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = '★';
    button.dataset.rating = String(rating);
    button.setAttribute('aria-label', t[`widget_csat_rating_${rating}`] || String(rating));
    button.addEventListener('click', () => {
      chosen = rating;
      for (const other of stars.children) other.classList.toggle('on', Number(other.dataset.rating) <= rating);
      comment.hidden = false;
      send.hidden = false;
      item.scrollIntoView({ block: 'end' });
    });
    stars.append(button);
  }
  const comment = document.createElement('textarea');
  comment.maxLength = 2000;
  comment.rows = 2;
  comment.placeholder = t.widget_csat_comment;
  comment.hidden = true;
  const send = document.createElement('button');
  send.type = 'button';
  send.className = 'primary';
  send.textContent = t.widget_csat_send;
  send.hidden = true;
  send.addEventListener('click', () => {
    if (chosen && sendFrame({ type: 'rating', surveyId, rating: chosen, text: comment.value })) send.disabled = true;
  });
  item.append(question, stars, comment, send);
  $('messages').append(item);
  item.scrollIntoView({ block: 'end' });
}

function surveyAnswered(surveyId, rating) {
  const items = surveyId ? [document.querySelector(`.survey[data-survey="${surveyId}"]`)] : [...document.querySelectorAll('.survey')].slice(-1);
  for (const item of items) {
    if (!item || item.classList.contains('done')) continue;
    item.classList.add('done');
    item.replaceChildren();
    const thanks = document.createElement('p');
    thanks.textContent = `${t.widget_csat_thanks} ${'★'.repeat(rating)}${'☆'.repeat(5 - rating)}`;
    item.append(thanks);
  }
}

function renderEvent(text) {
  const item = document.createElement('li');
  item.className = 'event';
  item.textContent = text;
  $('messages').append(item);
}

// Read marks: the visitor's own messages up to what an agent has read say so.
function updateReadMarks() {
  for (const item of document.querySelectorAll('.message.incoming[data-seq]')) {
    const seq = Number(item.dataset.seq);
    if (!seq) continue;
    let mark = item.querySelector('.mark');
    if (!mark) { mark = document.createElement('div'); mark.className = 'mark'; item.append(mark); }
    mark.textContent = seq <= state.agentReadSeq ? `✓✓ ${t.widget_read}` : `✓ ${t.widget_sent}`;
  }
}

// Tell the agents the visitor has seen the conversation, while the chat is open and visible.
function markRead() {
  if (!state.open || document.hidden || !state.lastSeq || state.lastSeq <= state.readSent) return;
  if (sendFrame({ type: 'read', seq: state.lastSeq })) state.readSent = state.lastSeq;
}
document.addEventListener('visibilitychange', markRead);

function scrollToEnd() { $('messages').lastElementChild?.scrollIntoView({ block: 'end' }); }

function onMessage(frame) {
  if (frame.conversationId !== state.conversationId) startConversation(frame.conversationId);
  if (state.shown.has(frame.seq)) return;
  state.shown.add(frame.seq);
  const pending = frame.clientMsgId && state.pending.get(frame.clientMsgId);
  const element = renderMessage(frame);
  if (pending) {
    pending.element.replaceWith(element);
    state.pending.delete(frame.clientMsgId);
  } else {
    $('messages').append(element);
  }
  state.lastSeq = Math.max(state.lastSeq || 0, frame.seq);
  save();
  updateReadMarks();
  scrollToEnd();
  markRead();
}

function startConversation(id) {
  state.conversationId = id;
  state.lastSeq = 0;
  state.shown = new Set();
  save();
}

function handle(frame) {
  switch (frame.type) {
    case 'hello':
      state.retry = 0;
      $('connection').textContent = '';
      $('offline').hidden = frame.agentsOnline;
      $('expected').textContent = frame.expectedReply || '';
      $('expected').hidden = !frame.expectedReply;
      state.agentReadSeq = frame.agentReadSeq || 0;
      state.readSent = 0;
      $('offline-email').hidden = frame.emailKnown;
      if (frame.conversationId && frame.conversationId !== state.conversationId) {
        // A different conversation than we remember: the server replays it from the start.
        $('messages').replaceChildren();
        startConversation(frame.conversationId);
      }
      if (state.notice) { renderEvent(state.notice); state.notice = null; }
      resendPending();
      break;
    case 'message':
      onMessage(frame);
      break;
    case 'conversation':
      if (frame.conversationId === state.conversationId) state.lastSeq = Math.max(state.lastSeq || 0, frame.seq);
      if (frame.status === 'resolved') renderEvent(t.widget_resolved);
      if (frame.status === 'open') renderEvent(t.widget_reopened);
      if (frame.surveyId) renderSurvey(frame.surveyId);
      if (frame.rating) surveyAnswered(null, frame.rating);
      save();
      break;
    case 'rated':
      surveyAnswered(frame.surveyId, frame.rating);
      break;
    case 'ack': {
      const pending = state.pending.get(frame.clientMsgId);
      if (pending) { pending.acked = true; pending.element.classList.remove('pending'); }
      break;
    }
    case 'read':
      if (frame.by === 'agent' && frame.conversationId === state.conversationId) {
        state.agentReadSeq = Math.max(state.agentReadSeq, frame.seq);
        updateReadMarks();
      }
      break;
    case 'saved':
      $('offline-email').hidden = true;
      $('offline-saved').hidden = false;
      break;
    case 'typing':
      $('typing').hidden = !frame.isTyping;
      clearTimeout(handle.typingTimer);
      if (frame.isTyping) handle.typingTimer = setTimeout(() => { $('typing').hidden = true; }, 6000);
      break;
    case 'error':
      if (frame.code === 'unauthenticated') { forgetSession(); return; }
      if (frame.code === 'resync') return;  // the connection ends; reconnecting catches up
      if (frame.clientMsgId && state.pending.has(frame.clientMsgId)) markFailed(frame.clientMsgId);
      break;
  }
}

function connect() {
  if (state.socket || !state.token) return;
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const params = new URLSearchParams({ token: state.token, since: String(state.lastSeq || 0) });
  if (state.conversationId) params.set('conversationId', state.conversationId);
  const socket = new WebSocket(`${scheme}//${location.host}/api/v1/widget/ws?${params}`);
  state.socket = socket;
  socket.addEventListener('message', (event) => handle(JSON.parse(event.data)));
  socket.addEventListener('close', async () => {
    if (socket.replaced) return;  // closed on purpose (dropSocket): whoever did reconnects if needed
    state.socket = null;
    if (!state.open) return;
    $('connection').textContent = t.widget_reconnecting;
    // After a few failures, ask whether the session itself ended (then start over) or the
    // server is just away (then keep retrying, pending messages are resent on reconnect).
    if (state.retry >= 3) {
      try {
        const check = await fetch(`/api/v1/widget/session?token=${encodeURIComponent(state.token)}`);
        if (check.status === 401) { forgetSession(); return; }
      } catch (_) { /* server unreachable: retry below */ }
    }
    const delay = Math.min(10000, 500 * 2 ** state.retry++);
    setTimeout(connect, delay);
  });
}

function forgetSession() {
  localStorage.removeItem(storageKey);
  Object.assign(state, { token: null, conversationId: null, lastSeq: 0, shown: new Set() });
  $('messages').replaceChildren();
  $('composer').hidden = true;
  $('prechat').hidden = false;
}

function sendFrame(object) {
  if (state.socket?.readyState === WebSocket.OPEN) { state.socket.send(JSON.stringify(object)); return true; }
  return false;
}

function resendPending() {
  for (const [clientMsgId, pending] of state.pending) {
    if (!pending.acked) sendFrame({ type: 'message', clientMsgId, text: pending.text, attachmentIds: pending.attachmentIds });
  }
}

function markFailed(clientMsgId) {
  const pending = state.pending.get(clientMsgId);
  pending.element.classList.add('failed');
  pending.element.querySelector('.state').textContent = t.widget_failed;
  pending.element.addEventListener('click', () => {
    pending.element.classList.remove('failed');
    pending.element.querySelector('.state').textContent = t.widget_sending;
    sendFrame({ type: 'message', clientMsgId, text: pending.text, attachmentIds: pending.attachmentIds });
  }, { once: true });
}

function send(text, attachments = []) {
  const clientMsgId = crypto.randomUUID();
  const element = renderMessage({ direction: 'incoming', text, seq: '', attachments });
  element.classList.add('pending');
  const status = document.createElement('div');
  status.className = 'state';
  status.textContent = t.widget_sending;
  element.append(status);
  $('messages').append(element);
  scrollToEnd();
  const attachmentIds = attachments.map((a) => a.id);
  state.pending.set(clientMsgId, { text, attachmentIds, element, acked: false });
  sendFrame({ type: 'message', clientMsgId, text, attachmentIds });
  if (!state.socket) connect();
}

let lastTyping = 0;
function typing(isTyping) {
  const now = Date.now();
  if (isTyping && now - lastTyping < 3000) return;
  lastTyping = isTyping ? now : 0;
  sendFrame({ type: 'typing', isTyping });
}

$('launcher').addEventListener('click', () => setOpen(!state.open));

async function startSession(form = new FormData(), returning = false) {
  const payload = { inboxId: inbox, locale: navigator.language };
  if (returning) payload.returning = true;
  for (const field of ['name', 'email', 'walletUid', 'topic']) {
    const value = (form.get(field) || '').trim();
    if (value) payload[field] = value;
  }
  const error = $('prechat-error');
  error.hidden = true;
  let response;
  try {
    response = await fetch('/api/v1/widget/sessions', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload),
    });
  } catch (_) {
    response = null;
  }
  if (!response?.ok) {
    // Name the fields to check with the form's own labels (the API's field names mean
    // nothing to a visitor); anything else is the generic error.
    const problem = response ? await response.json().catch(() => ({})) : {};
    const labels = { name: t.widget_name, email: t.widget_email, walletUid: t.widget_uid, topic: t.widget_topic };
    const fields = (problem.errors || []).map((field) => labels[field.name]).filter(Boolean);
    error.textContent = fields.length ? `${t.widget_check_fields} ${fields.join(', ')}` : t.widget_error;
    error.hidden = false;
    $('prechat').hidden = false;
    return;
  }
  const session = await response.json();
  state.token = session.sessionToken;
  state.contactId = session.contactId;
  save();
  showChat();
  connect();
  identify();
  return true;
}

// The signed-in customer: their anti-phishing code in the header (a fake chat box cannot know
// it), and the chat joined to their history. Only the embedding page may say who is signed in.
function showAntiPhishingCode(code) {
  $('anti-phishing-code').textContent = code || '';
  $('anti-phishing').hidden = !code;
}

async function identify() {
  if (!state.identity) return;
  const query = state.token ? `?token=${encodeURIComponent(state.token)}` : '';
  let response = null;
  try {
    response = await fetch(`/api/v1/widget/identity${query}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ identityToken: state.identity }),
    });
  } catch (_) { /* offline: the next identify or session start tries again */ }
  if (!response?.ok) { showAntiPhishingCode(null); return; }
  const result = await response.json();
  showAntiPhishingCode(result.antiPhishingCode);
  // Already known: no need to prove an email to keep the history.
  state.identified = true;
  $('returning').hidden = true;
  $('keep').hidden = true;
  if (result.contactId && result.contactId !== state.contactId) {
    state.contactId = result.contactId;
    restartChat();  // the customer's own history, from their latest conversation
  }
}

window.addEventListener('message', (event) => {
  if (event.source !== parent) return;
  const data = event.data || {};
  if (data.kefu === 'identify' && typeof data.token === 'string') {
    state.identity = data.token;
    identify();
  } else if (data.kefu === 'reset') {
    // The customer signed out of the wallet: this browser forgets their chat.
    state.identity = null;
    state.identified = false;
    $('returning').hidden = false;
    showAntiPhishingCode(null);
    dropSocket();
    forgetSession();
  }
});
parent.postMessage({ kefu: 'ready' }, '*');

// Verifying the visitor's email: a mailed code joins this chat to their history on every device.
async function widgetPost(path, body) {
  const response = await fetch(`${path}?token=${encodeURIComponent(state.token)}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const problem = response.ok ? null : await response.json().catch(() => ({}));
  return { ok: response.ok, problem };
}

function showVerify() {
  $('prechat').hidden = true;
  $('composer').hidden = true;
  $('offline').hidden = true;
  $('verify').hidden = false;
  $('verify-error').hidden = true;
  $('verify-email').focus();
}

function verifyError(problem) {
  $('verify-error').textContent = problem?.detail || t.widget_error;
  $('verify-error').hidden = false;
}

// The session now belongs to the verified customer: start over from their latest conversation.
// Closes the chat's connection on purpose (its close handler then does not reconnect).
function dropSocket() {
  const old = state.socket;
  if (old) { old.replaced = true; old.close(); }
  state.socket = null;
}

function restartChat() {
  dropSocket();
  Object.assign(state, { conversationId: null, lastSeq: 0, shown: new Set(), retry: 0 });
  $('messages').replaceChildren();
  save();
  connect();
}

$('returning').addEventListener('click', async () => {
  if (await startSession(new FormData(), true)) showVerify();
});
$('keep').addEventListener('click', showVerify);
$('verify-cancel').addEventListener('click', () => {
  $('verify').hidden = true;
  if (state.token) { showChat(); restartChat(); } else { $('prechat').hidden = false; }
});
$('send-code').addEventListener('click', async () => {
  const email = $('verify-email').value.trim();
  $('verify-error').hidden = true;
  const { ok, problem } = await widgetPost('/api/v1/widget/email-verification', { email });
  if (!ok) { verifyError(problem); return; }
  $('code-sent').textContent = `${t.widget_code_sent} ${email}`;
  $('code-step').hidden = false;
  $('verify-code').focus();
});
$('verify').addEventListener('submit', async (event) => {
  event.preventDefault();
  if ($('code-step').hidden) { $('send-code').click(); return; }  // Enter in the email field
  const { ok, problem } = await widgetPost('/api/v1/widget/email-verification/confirm',
    { email: $('verify-email').value.trim(), code: $('verify-code').value.trim() });
  if (!ok) { verifyError(problem); return; }
  $('verify').hidden = true;
  $('code-step').hidden = true;
  $('verify-code').value = '';
  state.notice = t.widget_verified;  // shown once the verified customer's history arrives
  showChat();
  restartChat();
});

$('prechat').addEventListener('submit', (event) => {
  event.preventDefault();
  startSession(new FormData(event.target));
});

$('offline').addEventListener('submit', (event) => {
  event.preventDefault();
  sendFrame({ type: 'contact', email: $('offline-address').value.trim() });
});

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  $('text').value = '';
  typing(false);
  if (firstMessage()) help.chatStarted();
  send(text);
});

$('file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file || !state.token) return;
  const params = new URLSearchParams({ token: state.token, filename: file.name });
  const response = await fetch(`/api/v1/widget/attachments?${params}`, { method: 'POST', body: file });
  if (!response.ok) { renderEvent(t.widget_upload_failed); return; }
  const attachment = await response.json();
  send($('text').value.trim(), [attachment]);
  $('text').value = '';
});

$('text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) { event.preventDefault(); $('composer').requestSubmit(); }
});
$('text').addEventListener('input', () => {
  typing(true);
  help.typed($('text').value, firstMessage());
});
