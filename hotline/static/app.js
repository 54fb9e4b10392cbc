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
// Any tab's request keeps the session alive, so a tab asks the server how long is left
// (asking is not activity) before it warns, and again before it signs out.
(() => {
  const seconds = Number(document.body.dataset.idleSeconds || 0);
  const warning = document.getElementById("idle-warning");
  const stay = document.getElementById("stay-signed-in");
  if (!seconds || !warning || !stay) return;
  let timer = null;
  let ownEnd = 0; // when this tab's own count runs out (ms): the answer when the server is unreachable
  const secondsLeft = async () => {
    try {
      const answer = await fetch("/session/left", { credentials: "same-origin" });
      if (answer.ok) return Number((await answer.json()).seconds) || 0;
    } catch (error) {
      // Offline: go by this tab's own count.
    }
    return Math.max(0, Math.round((ownEnd - Date.now()) / 1000));
  };
  const wait = (left) => {
    clearTimeout(timer);
    ownEnd = Date.now() + left * 1000;
    const due = left <= 60;
    if (due && warning.hidden) {
      warning.hidden = false;
      stay.focus();
    } else if (!due) {
      warning.hidden = true;
    }
    // While the warning shows, ask every 5 s: another tab's use takes it away.
    timer = setTimeout(check, (due ? Math.min(left, 5) : left - 60) * 1000);
  };
  const check = async () => {
    const left = await secondsLeft();
    // Ended: reload this page, which the server sends to sign-in, and back here after it.
    if (left > 0) wait(left); else window.location.assign(window.location.pathname + window.location.search);
  };
  stay.addEventListener("click", async () => {
    // Any signed-in request counts as activity; this one answers 204 and nothing else.
    // Only its 204 means the session lives: a session ended elsewhere is redirected to the
    // sign-in page, which fetch follows and answers 200.
    const answer = await fetch("/session/stay", { credentials: "same-origin" });
    if (answer.status === 204) wait(seconds); else window.location.assign("/login?expired=1");
  });
  wait(seconds);
})();
