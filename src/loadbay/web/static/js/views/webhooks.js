// Completion webhooks: the tenant's endpoints, a form to add one (its secret shown once), and
// each endpoint's delivery log with every attempt.

import { api } from "../api.js";
import { dataTable, fill, h } from "../dom.js";
import { whenShort } from "../format.js";
import { repeat } from "../poll.js";

const REFRESH_MS = 5000;

const ENDPOINT_COLUMNS = [{ label: "URL" }, { label: "Scopes" }, { label: "Registered", className: "time" }, { label: "" }];
const DELIVERY_COLUMNS = [
  { label: "Event" },
  { label: "Import" },
  { label: "Status" },
  { label: "Attempts" },
  { label: "Next attempt", className: "time" },
];

const DELIVERY_STATUS = { pending: "Retrying", delivered: "Delivered", failed: "Given up" };

function attemptsText(delivery) {
  if (!delivery.attemptLog.length) {
    return "None yet";
  }
  return delivery.attemptLog
    .map((a) => `${a.statusCode === null ? a.error : `HTTP ${a.statusCode}`} (${a.latencyMs} ms)`)
    .join("; ");
}

export function webhooksView(page) {
  const url = h("input", { id: "webhook-url", type: "url", required: true, placeholder: "Your receiver's URL" });
  const add = h("button", { type: "submit", class: "button" }, "Add endpoint");
  const secretBox = h("div", { class: "callout", hidden: true, role: "status" });
  const list = h("div", { class: "list" }, h("p", { class: "muted" }, "Loading endpoints…"));
  const form = h(
    "form",
    { class: "webhook-form" },
    h("div", { class: "field" }, h("label", { for: "webhook-url" }, "Endpoint URL"), url),
    h("div", { class: "actions" }, add),
  );

  async function remove(endpoint) {
    try {
      await api(`/api/v1/webhooks/${endpoint.id}`, { method: "DELETE", signal: page.signal });
      page.showNotice(`Deleted the endpoint ${endpoint.url}.`);
      await refresh();
    } catch (error) {
      page.showError(error);
    }
  }

  function endpointRow(endpoint) {
    const button = h("button", { type: "button", class: "button button-secondary small" }, "Delete");
    button.addEventListener("click", () => remove(endpoint));
    return [
      h("a", { href: `#/webhooks/${endpoint.id}` }, endpoint.url),
      endpoint.scopes.join(" "),
      whenShort(endpoint.createdAt),
      button,
    ];
  }

  async function refresh() {
    try {
      const answer = await api("/api/v1/webhooks", { signal: page.signal });
      if (!answer.items.length) {
        fill(list, h("p", { class: "empty" }, "No endpoints yet: add one to hear when an import ends."));
      } else {
        fill(list, dataTable({ caption: "Webhook endpoints", columns: ENDPOINT_COLUMNS, rows: answer.items.map(endpointRow), className: "webhooks" }));
      }
    } catch (error) {
      page.showError(error);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    add.disabled = true;
    try {
      const created = await api("/api/v1/webhooks", {
        method: "POST",
        body: JSON.stringify({ url: url.value.trim() }),
        headers: { "Content-Type": "application/json" },
        signal: page.signal,
      });
      fill(
        secretBox,
        h("p", null, h("strong", null, "Signing secret"), " — copy it now, it is not shown again:"),
        h("code", { class: "secret" }, created.secret),
        h("p", { class: "hint" }, "Verify each delivery's webhook-signature header with it (Standard Webhooks)."),
      );
      secretBox.hidden = false;
      url.value = "";
      await refresh();
    } catch (error) {
      page.showError(error);
    } finally {
      add.disabled = false;
    }
  });

  fill(
    page.main,
    h("div", { class: "page-head" }, h("h1", null, "Webhooks")),
    h("p", null, "Loadbay POSTs a signed event to each endpoint when an import ends: processed, failed or cancelled."),
    form,
    secretBox,
    list,
  );
  refresh();
}

export function webhookView(page) {
  const [endpointId] = page.params;
  const heading = h("h1", null, "Webhook endpoint");
  const log = h("div", { class: "list" }, h("p", { class: "muted" }, "Loading deliveries…"));

  function deliveryRow(delivery) {
    return [
      delivery.eventType,
      h("a", { href: `#/imports/${delivery.referenceId}` }, delivery.referenceId.slice(0, 8)),
      DELIVERY_STATUS[delivery.status] || delivery.status,
      attemptsText(delivery),
      delivery.nextAttemptAt ? whenShort(delivery.nextAttemptAt) : "—",
    ];
  }

  async function refresh() {
    const endpoint = await api(`/api/v1/webhooks/${endpointId}`, { signal: page.signal });
    heading.textContent = endpoint.url;
    page.setTitle(endpoint.url);
    const answer = await api(`/api/v1/webhooks/${endpointId}/deliveries?limit=100`, { signal: page.signal });
    if (!answer.items.length) {
      fill(log, h("p", { class: "empty" }, "No deliveries yet: one is sent when an import ends."));
    } else {
      fill(log, dataTable({ caption: "Deliveries, newest first", columns: DELIVERY_COLUMNS, rows: answer.items.map(deliveryRow), className: "deliveries" }));
    }
  }

  fill(
    page.main,
    h("p", null, h("a", { href: "#/webhooks" }, "← All webhooks")),
    heading,
    h("h2", null, "Delivery log"),
    log,
  );
  repeat(async () => {
    try {
      await refresh();
    } catch (error) {
      page.showError(error);
    }
    return REFRESH_MS;
  }, page.signal);
}
