// Small progressive enhancements for the console; every page works without them.

// Ctrl/Cmd+Enter sends the reply.
const composer = document.querySelector('form.composer');
if (composer) {
  composer.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  // Show the latest message on open.
  const last = document.querySelector('.messages li:last-child');
  if (last) last.scrollIntoView({ block: 'end' });
}

// Render timestamps in the agent's own time zone and language.
const lang = document.documentElement.lang || 'en';
const format = new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' });
for (const element of document.querySelectorAll('time[datetime]')) {
  const date = new Date(element.getAttribute('datetime'));
  if (!Number.isNaN(date.getTime())) element.textContent = format.format(date);
}

// Never submit a form twice by double-clicking.
for (const form of document.querySelectorAll('form')) {
  form.addEventListener('submit', () => {
    for (const button of form.querySelectorAll('button[type=submit]')) {
      setTimeout(() => { button.disabled = true; }, 0);
    }
  });
}
