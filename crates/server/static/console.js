// The agent console, progressively enhanced: without this script a canned response is
// chosen with the "Use" button, which reloads the page with the reply filled in.
document.addEventListener('DOMContentLoaded', () => {
  // A canned response goes into the reply at once, where the cursor is, keeping what
  // the agent already typed. The text comes from the option's data-body, already in the
  // ticket's language; it is set as the textarea's value, never as markup.
  for (const form of document.querySelectorAll('form[data-canned-pick]')) {
    const select = form.querySelector('select[name=canned]');
    const target = document.getElementById(form.dataset.cannedPick);
    if (!select || !target) continue;
    form.addEventListener('submit', (event) => {
      const option = select.selectedOptions[0];
      const text = option?.dataset.body;
      if (!text) return;
      event.preventDefault();
      const start = target.selectionStart ?? target.value.length;
      const end = target.selectionEnd ?? start;
      const before = target.value.slice(0, start);
      const after = target.value.slice(end);
      const gap = before && !before.endsWith('\n') ? '\n' : '';
      target.value = before + gap + text + after;
      const caret = (before + gap + text).length;
      target.focus();
      target.setSelectionRange(caret, caret);
      target.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }
});
