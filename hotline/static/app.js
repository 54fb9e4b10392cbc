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

// A signed-in session ends after a quiet spell (SPEC §9): warn a minute before, offer to stay.
(() => {
  const seconds = Number(document.body.dataset.idleSeconds || 0);
  const warning = document.getElementById("idle-warning");
  const stay = document.getElementById("stay-signed-in");
  if (!seconds || !warning || !stay) return;
  let warnTimer = null;
  let endTimer = null;
  const arm = () => {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warning.hidden = true;
    warnTimer = setTimeout(() => { warning.hidden = false; stay.focus(); }, Math.max(0, seconds - 60) * 1000);
    endTimer = setTimeout(() => { window.location.assign("/login?expired=1"); }, seconds * 1000);
  };
  stay.addEventListener("click", async () => {
    // Any signed-in request counts as activity; this one answers 204 and nothing else.
    // Only its 204 means the session lives: a session ended elsewhere is redirected to the
    // sign-in page, which fetch follows and answers 200.
    const answer = await fetch("/session/stay", { credentials: "same-origin" });
    if (answer.status === 204) arm(); else window.location.assign("/login?expired=1");
  });
  arm();
})();
