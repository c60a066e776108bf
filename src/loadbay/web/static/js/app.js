// The console's shell: hash routes (so a reload lands on the same page), navigation, the
// signed-in bar, the alert region, and focus on each new page for keyboard and screen reader users.

import { ApiError, SESSION_EXPIRED } from "./api.js";
import { fill, h } from "./dom.js";
import { currentSession, endSession, isSignedIn, onSessionEnd } from "./session.js";
import { importView } from "./views/import.js";
import { importsView } from "./views/imports.js";
import { signInView } from "./views/signin.js";
import { templatesView } from "./views/templates.js";
import { uploadView } from "./views/upload.js";
import { webhookView, webhooksView } from "./views/webhooks.js";

const ROUTES = [
  { pattern: /^\/signin$/, view: signInView, title: "Sign in", public: true, signedOutOnly: true },
  { pattern: /^\/imports$/, view: importsView, title: "Imports", nav: "/imports" },
  { pattern: /^\/imports\/([0-9A-Za-z-]+)$/, view: importView, title: "Import", nav: "/imports" },
  { pattern: /^\/upload$/, view: uploadView, title: "Upload", nav: "/upload" },
  { pattern: /^\/templates$/, view: templatesView, title: "Templates", public: true, nav: "/templates" },
  { pattern: /^\/webhooks$/, view: webhooksView, title: "Webhooks", nav: "/webhooks" },
  { pattern: /^\/webhooks\/([0-9A-Za-z-]+)$/, view: webhookView, title: "Webhook", nav: "/webhooks" },
];

const NAV_SIGNED_IN = [
  ["/imports", "Imports"],
  ["/upload", "Upload"],
  ["/webhooks", "Webhooks"],
  ["/templates", "Templates"],
];
const NAV_SIGNED_OUT = [
  ["/signin", "Sign in"],
  ["/templates", "Templates"],
];

const main = document.getElementById("main");
const alerts = document.getElementById("alerts");
let page = null;
let returnTo = null;
let pendingNotice = null;

function currentPath() {
  return location.hash.startsWith("#/") ? location.hash.slice(1) : "/";
}

export function navigate(path) {
  if (currentPath() === path) {
    render();
  } else {
    location.hash = `#${path}`;
  }
}

// Replaces the current history entry, so Back does not return to a page that only redirects.
function redirect(path) {
  if (currentPath() === path) {
    render();
  } else {
    location.replace(`#${path}`);
  }
}

function showAlert(message, kind = "error") {
  fill(alerts, h("div", { class: `alert alert-${kind}` }, h("p", null, message)));
}

function clearAlerts() {
  alerts.replaceChildren();
}

function render() {
  const path = currentPath();
  if (path === "/") {
    redirect(isSignedIn() ? "/imports" : "/signin");
    return;
  }
  const route = ROUTES.find((candidate) => candidate.pattern.test(path));
  if (route && !route.public && !isSignedIn()) {
    returnTo = path;
    redirect("/signin");
    return;
  }
  if (route && route.signedOutOnly && isSignedIn()) {
    redirect("/imports");
    return;
  }

  if (page) {
    page.controller.abort();
  }
  const controller = new AbortController();
  page = { controller };
  clearAlerts();
  if (pendingNotice) {
    showAlert(pendingNotice.message, pendingNotice.kind);
    pendingNotice = null;
  }
  main.replaceChildren();
  renderNav(route ? route.nav || path : null);
  renderSession();

  const context = {
    signal: controller.signal,
    main,
    params: route ? path.match(route.pattern).slice(1) : [],
    navigate,
    setTitle: (title) => {
      document.title = `${title} · Loadbay`;
    },
    // A late answer for a page already left is dropped; so is an expired session, which sign-in shows.
    showError: (error) => {
      if (controller.signal.aborted || error.name === "AbortError" || error.sessionEnded) {
        return;
      }
      if (typeof error === "string") {
        showAlert(error);
      } else {
        showAlert(error instanceof ApiError ? error.message : `Unexpected error: ${error.message || error}`);
      }
    },
    showNotice: (message) => {
      if (!controller.signal.aborted) {
        showAlert(message, "info");
      }
    },
    clearAlerts,
    afterSignIn: () => {
      const target = returnTo || "/imports";
      returnTo = null;
      navigate(target);
    },
  };
  context.setTitle(route ? route.title : "Page not found");
  if (route) {
    route.view(context);
  } else {
    notFoundView(context);
  }
  focusPage();
}

function focusPage() {
  const target = main.querySelector("[data-autofocus]") || main.querySelector("h1");
  if (target) {
    if (!target.hasAttribute("tabindex") && target.tagName === "H1") {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  }
}

function notFoundView({ main: root }) {
  fill(
    root,
    h("h1", null, "Page not found"),
    h("p", null, "There is no such page in the console. ", h("a", { href: "#/" }, "Go to the start page"), "."),
  );
}

function renderNav(activePath) {
  const items = isSignedIn() ? NAV_SIGNED_IN : NAV_SIGNED_OUT;
  fill(
    document.getElementById("nav"),
    items.map(([path, label]) =>
      h("li", null, h("a", { href: `#${path}`, "aria-current": path === activePath ? "page" : null }, label)),
    ),
  );
}

function renderSession() {
  const session = currentSession();
  const box = document.getElementById("session");
  if (session === null) {
    box.replaceChildren();
    return;
  }
  const until = session.expiresAt.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  fill(
    box,
    h(
      "span",
      { class: "session-who" },
      h("span", { class: "visually-hidden" }, "Signed in as "),
      h("span", { class: "session-client", title: `Signed in until ${until}` }, session.clientId),
    ),
    h("button", { type: "button", class: "button button-quiet", onclick: () => endSession("signed-out") }, "Sign out"),
  );
}

onSessionEnd((reason) => {
  if (reason === "expired") {
    pendingNotice = { message: SESSION_EXPIRED, kind: "error" };
    const path = currentPath();
    returnTo = path.startsWith("/signin") ? returnTo : path;
  } else {
    pendingNotice = { message: "You signed out. The token is gone from this page.", kind: "info" };
    returnTo = null;
  }
  redirect("/signin");
});

document.getElementById("skip-link").addEventListener("click", (event) => {
  // A plain #main link would replace the route in the address bar.
  event.preventDefault();
  focusPage();
});

window.addEventListener("hashchange", render);
render();
document.documentElement.setAttribute("data-started", "");
