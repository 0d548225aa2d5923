// Support pages, progressive enhancement only: every form works without this script.
// Text from the server (article titles) is only ever set with textContent.

/** Shows or hides what only some categories need (the transaction picker, or a guest's
    time and amount), once the visitor has chosen a category. */
function followCategory(form) {
  const select = form.querySelector('select[name=category]');
  const wanted = (form.dataset.txCategories || '').split(' ');
  if (!select) return;
  const apply = () => {
    const show = wanted.includes(select.value);
    for (const el of form.querySelectorAll('[data-needs-transaction]')) el.hidden = !show;
  };
  select.addEventListener('change', apply);
  apply();
}

/** Refuses, before sending, files larger than the server accepts: a refused upload would
    lose what was typed with it. */
function checkFiles(form) {
  const input = form.querySelector('input[type=file]');
  const warning = form.querySelector('[data-role=files-too-large]');
  const perFile = Number(form.dataset.maxFile || 0);
  const total = Number(form.dataset.maxTotal || 0);
  if (!input || !warning || !perFile) return;
  const tooLarge = () => {
    const files = [...input.files];
    const sum = files.reduce((n, f) => n + f.size, 0);
    return files.some((f) => f.size > perFile) || (total > 0 && sum > total);
  };
  input.addEventListener('change', () => { warning.hidden = !tooLarge(); });
  form.addEventListener('submit', (event) => {
    if (tooLarge()) {
      event.preventDefault();
      warning.hidden = false;
      input.focus();
    }
  });
}

/** Suggests help articles while the visitor describes the problem. "This answered my
    question" records a deflection; sending anyway is recorded by the server from the
    hidden fields set here. */
function suggestArticles(form) {
  const panel = form.querySelector('[data-role=suggestions]');
  const list = form.querySelector('[data-role=suggest-list]');
  const itemTemplate = form.querySelector('template[data-role=suggest-item]');
  const thanks = form.querySelector('[data-role=deflected]');
  const suggested = form.querySelector('[data-role=suggested]');
  const suggestQuery = form.querySelector('[data-role=suggest-query]');
  const subject = form.querySelector('[name=subject]');
  const body = form.querySelector('[name=body]');
  const locale = form.dataset.suggestLocale || 'en';
  if (!panel || !list || !itemTemplate || !subject || !body) return;
  let timer = null;
  let asked = '';

  const record = async (query, slug) => {
    const res = await fetch('/api/v1/help/deflections', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, article_slug: slug, outcome: 'deflected', locale }),
    });
    return res.ok;
  };

  const show = (query, items) => {
    list.replaceChildren(...items.map((s) => {
      const li = itemTemplate.content.firstElementChild.cloneNode(true);
      const link = li.querySelector('a');
      link.href = `/help/a/${encodeURIComponent(s.slug)}?locale=${encodeURIComponent(s.locale)}`;
      link.textContent = s.title;
      const button = li.querySelector('button');
      button.addEventListener('click', async () => {
        button.disabled = true;
        try {
          if (await record(query, s.slug)) {
            panel.hidden = true;
            if (thanks) thanks.hidden = false;
            // Answered: a later submit is not "sent anyway".
            suggested.value = '';
            return;
          }
        } catch (_) {
          // Offline or refused: let them try again.
        }
        button.disabled = false;
      });
      return li;
    }));
    panel.hidden = items.length === 0;
    if (items.length > 0) {
      suggested.value = items[0].slug;
      suggestQuery.value = query;
    }
  };

  const ask = async () => {
    const query = `${subject.value} ${body.value}`.trim().replace(/\s+/g, ' ').slice(0, 200);
    if (query.length < 3 || query === asked) return;
    asked = query;
    try {
      const res = await fetch(`/api/v1/help/suggest?q=${encodeURIComponent(query)}&locale=${encodeURIComponent(locale)}`);
      if (!res.ok || asked !== query) return;
      // A few answers help; a long list only pushes the form away.
      show(query, (await res.json()).slice(0, 4));
    } catch (_) {
      // Suggestions are a help, not a step: the form still works without them.
    }
  };
  for (const field of [subject, body]) {
    field.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(ask, 350);
    });
  }
}

/** The guest's private link, with this site's address, ready to copy. */
function absoluteLink() {
  for (const input of document.querySelectorAll('input[data-role=absolute-link]')) {
    if (input.value.startsWith('/')) input.value = window.location.origin + input.value;
    input.addEventListener('focus', () => input.select());
  }
}

document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('form.contact-form')) {
    followCategory(form);
    suggestArticles(form);
  }
  for (const form of document.querySelectorAll('form[data-max-file]')) checkFiles(form);
  absoluteLink();
});
