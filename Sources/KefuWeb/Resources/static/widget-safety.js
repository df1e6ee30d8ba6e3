// "Is it really us?" inside the widget: the visitor checks a verification code someone showed
// them (genuine only when the agent is talking to this visitor) and reports an account that
// pretended to be support. Answers are set as textContent only.
function readAsBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',')[1] || '');
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export function safetyPanel({ $, t, state }) {
  const panel = $('safety');
  const lang = document.documentElement.lang || 'en';
  const say = (element, text, kind) => {
    element.textContent = text;
    element.className = `answer ${kind || ''}`;
    element.hidden = false;
  };

  $('safety-open').addEventListener('click', () => {
    panel.hidden = false;
    $('code-result').hidden = true;
    $('safety-agent-code').focus();
  });
  $('safety-close').addEventListener('click', () => { panel.hidden = true; });

  $('code-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = $('code-result');
    if (!state.token) { say(result, t.widget_code_no_chat, 'unknown'); return; }
    const response = await fetch(`/api/v1/widget/agent-code?token=${encodeURIComponent(state.token)}`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code: $('safety-agent-code').value }),
    }).catch(() => null);
    if (!response) return;
    if (response.status === 429) { say(result, t.widget_too_many, 'unknown'); return; }
    if (!response.ok) { say(result, t.widget_code_invalid, 'unknown'); return; }
    const answer = await response.json();
    if (answer.genuine) {
      say(result, t.widget_code_genuine.replace('{agent}', answer.agentName).replace('{number}', answer.conversationNumber), 'official');
    } else {
      say(result, t.widget_code_not_genuine, 'impersonation');
    }
  });

  $('report-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = $('report-result');
    const file = $('report-file').files[0];
    const body = { place: $('report-place').value, handle: $('report-handle').value, note: $('report-note').value, locale: lang };
    try {
      if (file) body.screenshot = await readAsBase64(file);
    } catch {
      say(result, t.widget_report_error, 'impersonation');
      return;
    }
    const path = state.token
      ? `/api/v1/widget/impersonation-reports?token=${encodeURIComponent(state.token)}`
      : '/api/v1/help/impersonation-reports';
    const response = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .catch(() => null);
    if (!response) return;
    if (response.status === 429) { say(result, t.widget_too_many, 'unknown'); return; }
    if (!response.ok) { say(result, t.widget_report_error, 'impersonation'); return; }
    $('report-form').reset();
    say(result, t.widget_report_thanks, 'official');
  });
}
