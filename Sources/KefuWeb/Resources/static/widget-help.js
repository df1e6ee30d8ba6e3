// Help articles inside the widget: while the visitor types a first message (or searches
// before the chat), the best matching articles from the help center are offered; one opens
// inline, and the visitor says whether it answered the question or still starts the chat.
// What became of each offer is recorded (POST /api/v1/help/deflections) for the reports.
const lang = document.documentElement.lang || 'en';
let timer = null;
let asked = 0;
let opened = null; // the slug of the article open now
const viewed = new Set(); // articles opened in this page, told as chat_started if the chat goes on

function record(article, outcome) {
  fetch('/api/v1/help/deflections', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ article, outcome }),
  }).catch(() => {});
}

async function search(text) {
  const params = new URLSearchParams({ q: text, locale: lang, limit: '3' });
  const response = await fetch(`/api/v1/help/search?${params}`);
  if (!response.ok) return [];
  return (await response.json()).items;
}

export function helpArticles({ $, t }) {
  const list = $('suggestions');
  const view = $('article');

  function render(items) {
    list.replaceChildren();
    if (items.length === 0) { list.hidden = true; return; }
    const heading = document.createElement('li');
    heading.className = 'suggestions-head';
    heading.textContent = t.widget_help_suggestions;
    list.append(heading);
    for (const item of items) {
      const entry = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'suggestion';
      button.dataset.slug = item.slug;
      button.textContent = item.title;
      button.addEventListener('click', () => open(item.slug));
      entry.append(button);
      list.append(entry);
    }
    list.hidden = false;
  }

  async function open(slug) {
    const response = await fetch(`/api/v1/help/articles/${encodeURIComponent(slug)}?locale=${encodeURIComponent(lang)}`);
    if (!response.ok) return;
    const article = await response.json();
    opened = slug;
    viewed.add(slug);
    record(slug, 'viewed');
    $('article-title').textContent = article.title;
    // The server sends the body sanitised (an allow-list of tags, safe links only); the frame's
    // CSP forbids inline scripts besides.
    $('article-body').innerHTML = article.html;
    for (const link of $('article-body').querySelectorAll('a')) { link.target = '_blank'; link.rel = 'noopener noreferrer'; }
    $('article-full').href = article.url;
    $('article-thanks').hidden = true;
    $('article-actions').hidden = false;
    view.hidden = false;
    list.hidden = true;
    $('article-title').focus();
  }

  function close() {
    view.hidden = true;
    opened = null;
  }

  $('article-answered').addEventListener('click', () => {
    if (opened) record(opened, 'answered');
    viewed.delete(opened);
    $('article-actions').hidden = true;
    $('article-thanks').hidden = false;
  });
  $('article-back').addEventListener('click', () => { close(); $('text').focus(); });

  return {
    // Offers articles for what the visitor has typed so far (after a pause; two characters
    // are enough for Chinese).
    typed(text, firstMessage) {
      clearTimeout(timer);
      const query = text.trim();
      if (!firstMessage || query.length < 2) { render([]); return; }
      timer = setTimeout(async () => {
        const ticket = ++asked;
        const items = await search(query).catch(() => []);
        if (ticket === asked) render(items);
      }, 300);
    },
    // The chat goes on after the visitor read articles: they did not answer the question.
    chatStarted() {
      for (const slug of viewed) record(slug, 'chat_started');
      viewed.clear();
      render([]);
      close();
    },
  };
}
