// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Confirmation for destructive or irreversible actions (data-confirm="…").
  document.body.addEventListener("submit", (event) => {
    const message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // Look-up by title (achievements/_product_matches.html): a chosen product fills its field
  // with the code; the field's own htmx look-up then confirms the title.
  document.body.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-fill]");
    if (!button) return;
    const input = document.getElementById(button.getAttribute("data-for"));
    if (!input) return;
    input.value = button.getAttribute("data-fill");
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  });
  // Copy buttons (data-copy="text"): hidden without scripts, where the text is shown anyway.
  if (navigator.clipboard) {
    document.querySelectorAll("button[data-copy]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => {
        navigator.clipboard.writeText(button.getAttribute("data-copy")).then(() => {
          const label = button.firstChild;
          label.textContent = "Copied";
          setTimeout(() => { label.textContent = "Copy link"; }, 2000);
        });
      });
    });
  }
});
