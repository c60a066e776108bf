// One import: live progress while it runs, then its counts, its messages line by line, and the result file.

import { api } from "../api.js";
import { dataTable, fill, h, tableRow } from "../dom.js";
import { formatBytes, formatDuration, formatNumber, importTitle, plural, progressFraction, statusBadge, when } from "../format.js";
import { repeat } from "../poll.js";

const POLL_MS = 1000;
const MESSAGE_PAGE = 100;

const MESSAGE_COLUMNS = [
  { label: "Line", className: "num line" },
  { label: "Column", className: "column" },
  { label: "Message", className: "message" },
  { label: "Severity", className: "severity" },
];

// An error kept the row out; a warning's row was written all the same.
const SEVERITY_LABELS = { error: "Error: not written", warning: "Warning: written" };

function messageCells(message) {
  return [
    message.line === null ? h("span", { class: "muted" }, "File") : formatNumber(message.line),
    message.column === null ? h("span", { class: "muted" }, "Whole row") : h("code", null, message.column),
    message.message,
    h("span", { class: `tag tag-${message.severity === "warning" ? "warning" : "error"}` }, SEVERITY_LABELS[message.severity] || message.severity),
  ];
}

function summary(item) {
  const counts = item.counts || {};
  if (item.status === "pending" && !item.cancelRequestedAt) {
    return item.startedAt ? "Importing: the page follows the import as it runs." : "Waiting for a worker to start the import.";
  }
  if (item.status === "pending" && item.cancelRequestedAt) {
    return "Cancelling: the import stops after the batch it is writing.";
  }
  if (item.status === "failed") {
    return "The import failed. Nothing was written; the messages below say why.";
  }
  if (item.status === "cancelled") {
    return "Cancelled. The rows committed before the cancel stay imported; the counts say how many.";
  }
  const verb = item.dryRun ? "Dry run finished: nothing was written." : "Imported.";
  const failed = counts.failed
    ? ` ${plural(counts.failed, "row")} could not be imported: fix ${counts.failed === 1 ? "it" : "them"} and upload the file again.`
    : " Every row went through.";
  return verb + failed;
}

function countCard(label, value, className = "") {
  return h("div", { class: `count ${className}` }, h("dt", null, label), h("dd", null, formatNumber(value)));
}

export function importView(page) {
  const [referenceId] = page.params;
  let messagesCursor = null;
  let messagesExtended = false;

  const heading = h("h1", null, "Import");
  const badge = h("span", { class: "badge-slot" });
  const reference = h("p", { class: "reference muted" }, "Reference ID ", h("code", null, referenceId));
  const summaryLine = h("p", { class: "summary", "aria-live": "polite" }, "Loading the import…");
  const progress = h("progress", { id: "import-progress", max: "1" });
  const progressText = h("span", { class: "progress-text", id: "import-progress-text" });
  const counts = h("dl", { class: "counts" });
  const details = h("dl", { class: "details" });
  const download = h("button", { type: "button", class: "button", hidden: true }, "Download result");
  const cancel = h("button", { type: "button", class: "button button-secondary", hidden: true }, "Cancel import");
  const remove = h("button", { type: "button", class: "button button-secondary", hidden: true }, "Delete files");
  const deletedNote = h("p", { class: "muted deleted-note", hidden: true });
  const messagesHeading = h("h2", null, "Messages");
  const messagesBody = h("div");
  const moreMessages = h("button", { type: "button", class: "button button-secondary", hidden: true }, "Show more messages");
  // "" shows every message; "error" or "warning" asks the server for that severity only.
  let severity = "";
  const severityFilter = h(
    "select",
    { id: "message-severity" },
    h("option", { value: "" }, "All messages"),
    h("option", { value: "error" }, "Errors (rows not written)"),
    h("option", { value: "warning" }, "Warnings (rows written)"),
  );
  const filterBox = h("div", { class: "message-filter" }, h("label", { for: "message-severity" }, "Show"), severityFilter);

  function showImport(item) {
    const title = importTitle(item);
    heading.textContent = title;
    page.setTitle(title);
    fill(badge, statusBadge(item.status), item.dryRun ? h("span", { class: "tag" }, "Dry run") : null);
    summaryLine.textContent = summary(item);
    showProgress(item);
    const c = item.counts || {};
    fill(
      counts,
      countCard("Created", c.created),
      countCard("Updated", c.updated),
      countCard("Unchanged", c.unchanged),
      countCard("Failed", c.failed, c.failed ? "count-failed" : ""),
      item.mode === "sync" ? countCard("Deactivated", c.deactivated) : null,
      item.mode === "sync" ? countCard("Removed", c.removed) : null,
    );
    fill(
      details,
      detail("Template", item.importType || (item.status === "pending" ? "Not read yet" : "None detected")),
      detail("Size", formatBytes(item.sizeBytes)),
      detail("On error", item.onError === "abort" ? "Abort the whole file" : "Import the good rows"),
      detail(
        "Mode",
        item.mode === "sync" ? `Full sync (change threshold ${item.changeThreshold}%)` : "Merge (nothing is removed)",
      ),
      detail("Uploaded", when(item.createdAt)),
      detail("Started", when(item.startedAt)),
      detail("Finished", when(item.finishedAt)),
      detail("Took", formatDuration(item.startedAt, item.finishedAt) || "—"),
      detail("Attempts", formatNumber(item.attempts)),
    );
    download.hidden = item.status === "pending" || Boolean(item.filesDeletedAt);
    cancel.hidden = item.status !== "pending" || Boolean(item.cancelRequestedAt);
    remove.hidden = item.status === "pending" || Boolean(item.filesDeletedAt);
    deletedNote.hidden = !item.filesDeletedAt;
    deletedNote.textContent = item.filesDeletedAt
      ? `The upload, the result file and the messages were deleted ${when(item.filesDeletedAt)}; the imported rows and the counts stay.`
      : "";
    if (!messagesExtended) {
      showMessages(item);
    }
  }

  function detail(label, value) {
    return h("div", null, h("dt", null, label), h("dd", null, value));
  }

  function showProgress(item) {
    const fraction = progressFraction(item);
    if (fraction === null) {
      progress.removeAttribute("value");
      progressText.textContent = item.status === "pending" ? "Waiting to start…" : "—";
      return;
    }
    progress.value = fraction;
    const percent = Math.floor(fraction * 100);
    const lines = item.totalLines ? `${formatNumber(Math.min(item.fileLine || 0, item.totalLines))} of ${formatNumber(item.totalLines)} lines` : "";
    progressText.textContent = [`${percent}%`, lines].filter(Boolean).join(" · ");
    if (item.status === "processed" && item.totalLines) {
      progressText.textContent = `100% · ${formatNumber(item.totalLines)} of ${formatNumber(item.totalLines)} lines`;
    }
  }

  function showMessages(item) {
    const pageOfMessages = item.messagePage || { items: [], nextCursor: null };
    messagesCursor = pageOfMessages.nextCursor;
    messagesHeading.textContent = item.messageCount ? `Messages (${formatNumber(item.messageCount)})` : "Messages";
    filterBox.hidden = !item.messageCount;
    if (pageOfMessages.items.length === 0 && severity) {
      fill(messagesBody, h("p", { class: "muted" }, severity === "warning" ? "No warnings." : "No errors."));
    } else if (pageOfMessages.items.length === 0) {
      fill(messagesBody, h("p", { class: "muted" }, item.status === "pending" ? "No messages so far." : "No messages: every line was fine."));
    } else {
      fill(
        messagesBody,
        h("p", { class: "hint" }, "Line numbers count the header as line 1, as a spreadsheet does."),
        dataTable({ caption: "Messages by line", columns: MESSAGE_COLUMNS, rows: pageOfMessages.items.map(messageCells), className: "messages" }),
      );
    }
    moreMessages.hidden = !messagesCursor || item.status === "pending";
  }

  async function loadMoreMessages() {
    moreMessages.disabled = true;
    try {
      const params = new URLSearchParams({ cursor: messagesCursor, limit: String(MESSAGE_PAGE) });
      if (severity) {
        params.set("severity", severity);
      }
      const answer = await api(`/api/v1/imports/${encodeURIComponent(referenceId)}?${params}`, { signal: page.signal });
      messagesExtended = true;
      const body = messagesBody.querySelector("tbody");
      const first = body.rows.length;
      for (const message of answer.messagePage.items) {
        body.append(tableRow(MESSAGE_COLUMNS, messageCells(message)));
      }
      messagesCursor = answer.messagePage.nextCursor;
      moreMessages.hidden = !messagesCursor;
      // Keep the keyboard where the new rows begin.
      const firstNew = body.rows[first];
      if (firstNew) {
        firstNew.setAttribute("tabindex", "-1");
        firstNew.focus();
      }
    } catch (error) {
      page.showError(error);
    } finally {
      moreMessages.disabled = false;
    }
  }

  async function onDownload() {
    download.disabled = true;
    try {
      const answer = await api(`/api/v1/imports/${encodeURIComponent(referenceId)}/download`, { signal: page.signal });
      // A link with `download` saves the file and leaves this page, and its in-memory token, in place.
      const link = h("a", { href: answer.signedUrl, download: "", hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      page.showNotice(`The result file is downloading. Its link works for ${Math.round(answer.expiresIn / 60)} minutes.`);
    } catch (error) {
      page.showError(error);
    } finally {
      download.disabled = false;
    }
  }

  function importUrl() {
    const params = new URLSearchParams({ limit: String(MESSAGE_PAGE) });
    if (severity) {
      params.set("severity", severity);
    }
    return `/api/v1/imports/${encodeURIComponent(referenceId)}?${params}`;
  }

  async function onSeverity() {
    severity = severityFilter.value;
    messagesExtended = false;
    try {
      showImport(await api(importUrl(), { signal: page.signal }));
    } catch (error) {
      page.showError(error);
    }
  }

  async function onCancel() {
    cancel.disabled = true;
    try {
      showImport(await api(`/api/v1/imports/${encodeURIComponent(referenceId)}/cancel`, { method: "POST", signal: page.signal }));
    } catch (error) {
      page.showError(error);
    } finally {
      cancel.disabled = false;
    }
  }

  async function onRemove() {
    if (!window.confirm("Delete the stored upload, the result file and the messages of this import? The imported rows stay.")) {
      return;
    }
    remove.disabled = true;
    try {
      showImport(await api(`/api/v1/imports/${encodeURIComponent(referenceId)}`, { method: "DELETE", signal: page.signal }));
    } catch (error) {
      page.showError(error);
    } finally {
      remove.disabled = false;
    }
  }

  download.addEventListener("click", onDownload);
  cancel.addEventListener("click", onCancel);
  remove.addEventListener("click", onRemove);
  moreMessages.addEventListener("click", loadMoreMessages);
  severityFilter.addEventListener("change", onSeverity);

  fill(
    page.main,
    h("nav", { class: "breadcrumb", "aria-label": "Breadcrumb" }, h("a", { href: "#/imports" }, "Imports"), h("span", { "aria-hidden": "true" }, " / ")),
    h("div", { class: "page-head" }, h("div", { class: "title-row" }, heading, badge)),
    reference,
    summaryLine,
    deletedNote,
    h(
      "section",
      { class: "panel", "aria-labelledby": "progress-heading" },
      h("h2", { id: "progress-heading", class: "visually-hidden" }, "Progress"),
      h("div", { class: "progress-box" }, h("label", { for: "import-progress" }, "Lines handled"), progress, progressText),
      counts,
      h(
        "div",
        { class: "actions" },
        download,
        cancel,
        remove,
        h("a", { href: "#/upload", class: "button button-secondary" }, "Re-import a fixed file"),
      ),
    ),
    h("section", { class: "panel" }, h("h2", null, "Details"), details),
    h("section", { class: "panel", "aria-live": "off" }, messagesHeading, filterBox, messagesBody, h("div", { class: "actions" }, moreMessages)),
  );

  repeat(async () => {
    try {
      const item = await api(importUrl(), { signal: page.signal });
      showImport(item);
      return item.status === "pending" ? POLL_MS : null;
    } catch (error) {
      page.showError(error);
      // A lost connection may come back; an unknown import will not.
      return error.status === 404 ? null : POLL_MS * 5;
    }
  }, page.signal);
}
