// Sign in with an API client's id and secret (the OAuth2 client credentials grant).

import { requestToken } from "../api.js";
import { fill, h } from "../dom.js";
import { startSession } from "../session.js";

export function signInView(page) {
  const clientId = h("input", {
    id: "client-id",
    name: "client_id",
    autocomplete: "username",
    required: true,
    spellcheck: "false",
    autocapitalize: "none",
    "data-autofocus": true,
    "aria-describedby": "client-id-hint",
  });
  const secret = h("input", {
    id: "client-secret",
    name: "client_secret",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const submit = h("button", { type: "submit", class: "button" }, "Sign in");

  async function onSubmit(event) {
    event.preventDefault();
    page.clearAlerts();
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      const id = clientId.value.trim();
      const answer = await requestToken(id, secret.value);
      startSession({ clientId: id, token: answer.access_token, expiresIn: answer.expires_in, scope: answer.scope });
      page.afterSignIn();
    } catch (error) {
      page.showError(error);
      secret.select();
      secret.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  }

  fill(
    page.main,
    h(
      "div",
      { class: "signin" },
      h("h1", null, "Sign in to Loadbay"),
      h(
        "p",
        { class: "lead" },
        "Use an API client of your organization. The token stays in this page only: reloading or closing the tab signs you out.",
      ),
      h(
        "form",
        { class: "panel form", onsubmit: onSubmit },
        h(
          "div",
          { class: "field" },
          h("label", { for: "client-id" }, "Client ID"),
          clientId,
          h(
            "p",
            { class: "hint", id: "client-id-hint" },
            "An administrator creates one with ",
            h("code", null, "loadbay clients create"),
            ".",
          ),
        ),
        h("div", { class: "field" }, h("label", { for: "client-secret" }, "Client secret"), secret),
        h("div", { class: "actions" }, submit),
      ),
      h("p", { class: "muted" }, "Looking for the CSV templates? ", h("a", { href: "#/templates" }, "They need no sign-in"), "."),
    ),
  );
}
