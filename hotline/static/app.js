// Copy buttons for the calendar addresses. Without this script the buttons stay
// hidden and the addresses remain selectable text.
"use strict";

document.querySelectorAll("button[data-copy]").forEach((button) => {
  const field = document.getElementById(button.dataset.copy);
  const status = document.getElementById("copy-status");
  if (!field) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(field.value);
      copied = true;
    } catch (error) {
      // No clipboard API (plain http, old browser): select the text and copy it.
      field.focus();
      field.select();
      copied = document.execCommand && document.execCommand("copy");
    }
    button.textContent = copied ? "Copied" : "Select and copy";
    if (status) status.textContent = copied ? "Address copied." : "Copy failed: the address is selected.";
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
});
