// One import: live progress while it runs, then its counts, its messages line by line, and the result file.
// A bundle's import lists its files too, each with its own status and counts, and its messages name their file.

import { api } from "../api.js";
import { dataTable, fill, h, tableRow } from "../dom.js";
import { formatBytes, formatDuration, formatNumber, importTitle, plural, progressFraction, statusBadge, when } from "../format.js";
import { repeat } from "../poll.js";

const POLL_MS = 1000;
const MESSAGE_PAGE = 100;

const FILE_COLUMN = { label: "File", className: "file" };
const MESSAGE_COLUMNS = [
  { label: "Line", className: "num line" },
  { label: "Column", className: "column" },
  { label: "Message", className: "message" },
  { label: "Severity", className: "severity" },
];

// An error kept the row out; a warning's row was written all the same.
const SEVERITY_LABELS = { error: "Error: not written", warning: "Warning: written" };

const COUNT_NAMES = ["created", "updated", "unchanged", "failed", "deactivated", "removed"];
const BUNDLE_FILE_COLUMNS = [
  { label: "File", className: "file" },
  { label: "Mode", className: "mode" },
  { label: "Status", className: "status" },
  { label: "Lines", className: "num" },
  ...COUNT_NAMES.map((name) => ({ label: name[0].toUpperCase() + name.slice(1), className: `num ${name}` })),
];
const FILE_MODES = { bulk: "Bulk", delta: "Delta" };
const FILE_STATUSES = { pending: "Waiting", running: "Importing", done: "Done" };

function bundleFileCells(file) {
  const counts = file.counts || {};
  return [
    h("code", null, file.name),
    FILE_MODES[file.mode] || file.mode,
    h("span", { class: `tag tag-file-${file.status}` }, FILE_STATUSES[file.status] || file.status),
    formatNumber(file.lines),
    ...COUNT_NAMES.map((name) =>
      name === "failed" && counts.failed ? { content: formatNumber(counts.failed), className: "failed-count" } : formatNumber(counts[name] || 0),
    ),
  ];
}

function isBundle(item) {
  return Array.isArray(item.files) || item.importType === "oneroster";
}

function messageCells(message, withFile) {
  return [
    withFile ? (message.file ? h("code", null, message.file) : h("span", { class: "muted" }, "Bundle")) : null,
    message.line === null ? h("span", { class: "muted" }, "File") : formatNumber(message.line),
    message.column === null ? h("span", { class: "muted" }, "Whole row") : h("code", null, message.column),
    message.message,
    h("span", { class: `tag tag-${message.severity === "warning" ? "warning" : "error"}` }, SEVERITY_LABELS[message.severity] || message.severity),
  ].filter((cell) => cell !== null);
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
  // Whether the messages shown have a File column (a bundle's do), so that more rows fit the table.
  let messagesWithFile = false;

  const heading = h("h1", null, "Import");
  const badge = h("span", { class: "badge-slot" });
  const reference = h("p", { class: "reference muted" }, "Reference ID ", h("code", null, referenceId));
  const summaryLine = h("p", { class: "summary", "aria-live": "polite" }, "Loading the import…");
  const progress = h("progress", { id: "import-progress", max: "1" });
  const progressText = h("span", { class: "progress-text", id: "import-progress-text" });
  const counts = h("dl", { class: "counts" });
  const details = h("dl", { class: "details" });
  const filesBody = h("div");
  const filesPanel = h(
    "section",
    { class: "panel bundle-files", "aria-labelledby": "files-heading", hidden: true },
    h("h2", { id: "files-heading" }, "Files"),
    h("p", { class: "hint" }, "In the order they are imported. A bulk file is the whole truth: what it leaves out is deactivated or removed. A delta file holds changes only."),
    filesBody,
  );
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
    const bundle = isBundle(item);
    const syncs = item.mode === "sync" || bundle;
    fill(
      counts,
      countCard("Created", c.created),
      countCard("Updated", c.updated),
      countCard("Unchanged", c.unchanged),
      countCard("Failed", c.failed, c.failed ? "count-failed" : ""),
      syncs ? countCard("Deactivated", c.deactivated) : null,
      syncs ? countCard("Removed", c.removed) : null,
    );
    showFiles(item);
    fill(
      details,
      detail(
        "Template",
        bundle
          ? "OneRoster bundle (manifest.csv names each file’s type)"
          : item.importType || (item.status === "pending" ? "Not read yet" : "None detected"),
      ),
      detail("Size", formatBytes(item.sizeBytes)),
      detail("On error", item.onError === "abort" ? "Abort the whole file" : "Import the good rows"),
      detail("Mode", modeText(item, bundle)),
      detail("Uploaded", when(item.createdAt)),
      detail("Started", when(item.startedAt)),
      detail("Finished", when(item.finishedAt)),
      detail("Took", formatDuration(item.startedAt, item.finishedAt) || "—"),
      detail("Attempts", formatNumber(item.attempts)),
    );
    download.textContent = bundle ? "Download result zip" : "Download result";
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

  function modeText(item, bundle) {
    if (bundle) {
      return `Per file, as manifest.csv declares: bulk files fully synced (change threshold ${item.changeThreshold}%), delta files merged`;
    }
    return item.mode === "sync" ? `Full sync (change threshold ${item.changeThreshold}%)` : "Merge (nothing is removed)";
  }

  function showFiles(item) {
    const files = item.files || [];
    filesPanel.hidden = !isBundle(item);
    if (files.length === 0) {
      fill(filesBody, h("p", { class: "muted" }, item.status === "pending" ? "The files are listed once the bundle is opened." : "No file of the bundle was imported."));
      return;
    }
    fill(filesBody, dataTable({ caption: "Files of the bundle", columns: BUNDLE_FILE_COLUMNS, rows: files.map(bundleFileCells), className: "bundle-files" }));
  }

  function detail(label, value) {
    return h("div", null, h("dt", null, label), h("dd", null, value));
  }

  function showProgress(item) {
    if (item.files && item.files.length) {
      showBundleProgress(item);
      return;
    }
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

  // A bundle's progress counts its files: how many are done, and the lines read in all of them.
  function showBundleProgress(item) {
    const done = item.files.filter((file) => file.status === "done").length;
    const fraction = item.status === "pending" ? done / item.files.length : 1;
    progress.value = fraction;
    const lines = item.files.reduce((sum, file) => sum + (file.lines || 0), 0);
    progressText.textContent = [
      `${Math.floor(fraction * 100)}%`,
      `${formatNumber(done)} of ${plural(item.files.length, "file")} done`,
      `${plural(lines, "line")} read`,
    ].join(" · ");
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
      messagesWithFile = isBundle(item) || pageOfMessages.items.some((message) => message.file);
      fill(
        messagesBody,
        h("p", { class: "hint" }, "Line numbers count the header as line 1, as a spreadsheet does."),
        dataTable({
          caption: messagesWithFile ? "Messages by file and line" : "Messages by line",
          columns: messageColumns(),
          rows: pageOfMessages.items.map((message) => messageCells(message, messagesWithFile)),
          className: "messages",
        }),
      );
    }
    moreMessages.hidden = !messagesCursor || item.status === "pending";
  }

  function messageColumns() {
    return messagesWithFile ? [FILE_COLUMN, ...MESSAGE_COLUMNS] : MESSAGE_COLUMNS;
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
        body.append(tableRow(messageColumns(), messageCells(message, messagesWithFile)));
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
    filesPanel,
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
