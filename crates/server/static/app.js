// Progressive enhancement only: every form works without this script.
document.addEventListener('DOMContentLoaded', () => {
  // Switch language as soon as one is picked; the button stays for keyboard and no-JS use.
  for (const form of document.querySelectorAll('form.locale-switch')) {
    const select = form.querySelector('select[name=locale]');
    if (select) select.addEventListener('change', () => form.requestSubmit());
  }
});

// Help-center type-ahead: titles matching what has been typed, as links under the box.
// Built with textContent only, so article titles can never inject markup.
document.addEventListener('DOMContentLoaded', () => {
  for (const form of document.querySelectorAll('form.help-search')) {
    const input = form.querySelector('input[name=q]');
    const locale = form.querySelector('input[name=locale]')?.value || 'en';
    if (!input) continue;
    const list = document.createElement('ul');
    list.className = 'suggestions';
    list.setAttribute('data-testid', 'help-suggestions');
    list.hidden = true;
    form.appendChild(list);
    let timer = null;
    let asked = '';
    input.setAttribute('autocomplete', 'off');
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const q = input.value.trim();
        if (q.length < 2) { list.hidden = true; list.replaceChildren(); return; }
        asked = q;
        try {
          const res = await fetch(`/api/v1/help/suggest?q=${encodeURIComponent(q)}&locale=${encodeURIComponent(locale)}`);
          if (!res.ok || asked !== q) return;
          const items = await res.json();
          list.replaceChildren(...items.map((s) => {
            const li = document.createElement('li');
            const a = document.createElement('a');
            a.href = `/help/a/${encodeURIComponent(s.slug)}?locale=${encodeURIComponent(s.locale)}`;
            a.textContent = s.title;
            li.appendChild(a);
            return li;
          }));
          list.hidden = items.length === 0;
        } catch (_) {
          list.hidden = true;
        }
      }, 150);
    });
  }
});
