// Help articles from the reply box: the agent searches the help center in the customer's
// language and inserts a link to an article, or its opening paragraph and the link.
const picker = document.getElementById('article-picker');

function insertAtCaret(textarea, text) {
  const start = textarea.selectionStart ?? textarea.value.length;
  const before = textarea.value.slice(0, start);
  const glue = before && !before.endsWith('\n') ? '\n' : '';
  textarea.value = before + glue + text + textarea.value.slice(textarea.selectionEnd ?? start);
  const caret = (before + glue + text).length;
  textarea.setSelectionRange(caret, caret);
  textarea.focus();
}

async function excerpt(item) {
  const response = await fetch(`/api/v1/help/articles/${encodeURIComponent(item.slug)}?locale=${encodeURIComponent(item.locale)}`, { credentials: 'same-origin' });
  if (!response.ok) return '';
  const article = await response.json();
  // The body comes sanitised; parsed off-document only to read its first paragraph's text.
  const doc = new DOMParser().parseFromString(article.html, 'text/html');
  return doc.querySelector('p')?.textContent.trim() ?? '';
}

if (picker) {
  const textarea = document.getElementById('reply-text');
  const input = picker.querySelector('input[type=search]');
  const results = picker.querySelector('.article-results');
  const locale = picker.dataset.locale || document.documentElement.lang;
  let timer = null;
  let asked = 0;
  input.addEventListener('keydown', (event) => { if (event.key === 'Enter') event.preventDefault(); });
  input.addEventListener('input', () => {
    clearTimeout(timer);
    const query = input.value.trim();
    if (!query) { results.replaceChildren(); return; }
    timer = setTimeout(async () => {
      const ticket = ++asked;
      const params = new URLSearchParams({ q: query, locale, limit: '5' });
      const response = await fetch(`/api/v1/help/search?${params}`, { credentials: 'same-origin' });
      if (!response.ok || ticket !== asked) return;
      const { items } = await response.json();
      results.replaceChildren(...items.map((item) => {
        const url = new URL(item.url, window.location.origin).href;
        const row = document.createElement('li');
        const title = document.createElement('span');
        title.className = 'article-title';
        title.textContent = item.title;
        const link = document.createElement('button');
        link.type = 'button';
        link.className = 'link';
        link.dataset.testid = 'insert-article-link';
        link.textContent = picker.dataset.labelLink;
        link.addEventListener('click', () => insertAtCaret(textarea, `${item.title}\n${url}`));
        const quote = document.createElement('button');
        quote.type = 'button';
        quote.className = 'link';
        quote.dataset.testid = 'insert-article-excerpt';
        quote.textContent = picker.dataset.labelExcerpt;
        quote.addEventListener('click', async () => {
          const text = await excerpt(item);
          insertAtCaret(textarea, [item.title, text, url].filter(Boolean).join('\n'));
        });
        row.append(title, ' ', link, ' · ', quote);
        return row;
      }));
      if (!items.length) {
        const none = document.createElement('li');
        none.className = 'muted';
        none.textContent = picker.dataset.labelNone;
        results.append(none);
      }
    }, 250);
  });
}
