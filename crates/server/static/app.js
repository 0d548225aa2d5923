// Progressive enhancement only: every form works without this script.
document.addEventListener('DOMContentLoaded', () => {
  // Switch language as soon as one is picked; the button stays for keyboard and no-JS use.
  for (const form of document.querySelectorAll('form.locale-switch')) {
    const select = form.querySelector('select[name=locale]');
    if (select) select.addEventListener('change', () => form.requestSubmit());
  }
});
