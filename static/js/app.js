// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Confirmation for destructive or irreversible actions (data-confirm="…").
  document.body.addEventListener("submit", (event) => {
    const message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
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
