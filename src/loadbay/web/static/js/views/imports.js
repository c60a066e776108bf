// The tenant's imports, newest first, refreshing by itself while any of them is still running.

import { api } from "../api.js";
import { dataTable, fill, h } from "../dom.js";
import { STATUSES, formatNumber, importTitle, progressFraction, statusBadge, whenShort } from "../format.js";
import { repeat } from "../poll.js";

const PAGE_SIZE = 50;
const MAX_PAGE = 200;
const PENDING_REFRESH_MS = 3000;
const IDLE_REFRESH_MS = 15000;

// Kept across visits, so coming back from an import shows the same filter.
let statusFilter = "";

const COLUMNS = [
  { label: "Status" },
  { label: "File" },
  { label: "Template" },
  { label: "Rows", className: "num" },
  { label: "Created", className: "num" },
  { label: "Updated", className: "num" },
  { label: "Unchanged", className: "num" },
  { label: "Failed", className: "num" },
  { label: "Uploaded", className: "time" },
  { label: "Finished", className: "time" },
];

function rowsCell(item) {
  if (item.status === "pending") {
    const fraction = progressFraction(item);
    if (fraction === null) {
      return "Waiting";
    }
    const percent = Math.floor(fraction * 100);
    return h(
      "span",
      { class: "mini-progress" },
      h("progress", { max: "100", value: String(percent), "aria-label": `${importTitle(item)} progress` }),
      ` ${percent}%`,
    );
  }
  return item.totalLines ? formatNumber(Math.max(0, item.totalLines - 1)) : "—";
}

function importRow(item) {
  const counts = item.counts || {};
  return [
    statusBadge(item.status),
    h(
      "span",
      { class: "file-cell" },
      h("a", { href: `#/imports/${item.referenceId}`, "data-focus-key": item.referenceId }, importTitle(item)),
      item.dryRun ? h("span", { class: "tag" }, "Dry run") : null,
    ),
    item.importType || h("span", { class: "muted" }, item.status === "pending" ? "detecting…" : "—"),
    { content: rowsCell(item), className: "num" },
    formatNumber(counts.created),
    formatNumber(counts.updated),
    formatNumber(counts.unchanged),
    { content: formatNumber(counts.failed), className: counts.failed ? "num failed-count" : "num" },
    whenShort(item.createdAt),
    whenShort(item.finishedAt),
  ];
}

export function importsView(page) {
  let items = [];
  let nextCursor = null;
  let loaded = false;
  let generation = 0;

  const select = h(
    "select",
    { id: "status-filter" },
    h("option", { value: "" }, "All statuses"),
    Object.entries(STATUSES).map(([value, label]) => h("option", { value }, label)),
  );
  select.value = statusFilter;
  const list = h("div", { class: "list" }, h("p", { class: "muted" }, "Loading imports…"));
  const more = h("button", { type: "button", class: "button button-secondary", hidden: true }, "Load more");
  const updated = h("p", { class: "muted small" });

  function query(extra) {
    const params = new URLSearchParams(extra);
    if (statusFilter) {
      params.set("status", statusFilter);
    }
    return `/api/v1/imports?${params}`;
  }

  async function refresh() {
    const mine = ++generation;
    const limit = Math.min(MAX_PAGE, Math.max(PAGE_SIZE, items.length));
    try {
      const answer = await api(query({ limit: String(limit) }), { signal: page.signal });
      if (mine !== generation) {
        return;
      }
      items = answer.items;
      nextCursor = answer.nextCursor;
      loaded = true;
      show();
    } catch (error) {
      page.showError(error);
    }
  }

  async function loadMore() {
    const mine = ++generation;
    more.disabled = true;
    try {
      const answer = await api(query({ limit: String(PAGE_SIZE), cursor: nextCursor }), { signal: page.signal });
      if (mine === generation) {
        items = items.concat(answer.items);
        nextCursor = answer.nextCursor;
        show();
      }
    } catch (error) {
      page.showError(error);
    } finally {
      more.disabled = false;
    }
  }

  function show() {
    // A refresh replaces the rows; keep the keyboard focus on the same link.
    const focusKey = list.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    if (items.length === 0) {
      fill(
        list,
        h(
          "div",
          { class: "empty" },
          h("p", null, statusFilter ? `No ${STATUSES[statusFilter].toLowerCase()} imports.` : "No imports yet."),
          h("p", null, h("a", { href: "#/upload" }, "Upload a file"), " to start one."),
        ),
      );
    } else {
      fill(list, dataTable({ caption: "Imports, newest first", columns: COLUMNS, rows: items.map(importRow), className: "imports" }));
    }
    if (focusKey) {
      const target = list.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`);
      if (target) {
        target.focus();
      }
    }
    more.hidden = !nextCursor;
    updated.textContent = `${items.length} shown · updated ${new Date().toLocaleTimeString()}`;
  }

  select.addEventListener("change", () => {
    statusFilter = select.value;
    items = [];
    refresh();
  });
  more.addEventListener("click", loadMore);

  fill(
    page.main,
    h(
      "div",
      { class: "page-head" },
      h("h1", null, "Imports"),
      h("a", { href: "#/upload", class: "button" }, "Upload a file"),
    ),
    h(
      "div",
      { class: "toolbar" },
      h("div", { class: "field inline" }, h("label", { for: "status-filter" }, "Status"), select),
      updated,
    ),
    list,
    h("div", { class: "actions" }, more),
  );

  repeat(async () => {
    await refresh();
    const running = items.some((item) => item.status === "pending");
    return loaded && !running ? IDLE_REFRESH_MS : PENDING_REFRESH_MS;
  }, page.signal);
}
