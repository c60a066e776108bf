// Every import type: its columns, which are required, and its empty template to download.

import { api } from "../api.js";
import { dataTable, fill, h } from "../dom.js";
import { formatNumber } from "../format.js";

const REQUIRED = {
  always: "Required",
  on_create: "Required for new records",
  no: "Optional",
};

const COLUMNS = [
  { label: "Column", className: "column" },
  { label: "Required", className: "required" },
  { label: "Max length", className: "num" },
  { label: "Description", className: "description" },
];

function columnCells(column) {
  const required = REQUIRED[column.required] || column.required;
  return [
    h("code", null, column.name),
    column.required === "no" ? h("span", { class: "muted" }, required) : h("strong", { class: "required-mark" }, required),
    column.maxLength ? formatNumber(column.maxLength) : "—",
    column.description || "",
  ];
}

// Rostering first, then payments: each uploaded on the Upload page by a client with its scope.
const SCOPES = {
  rostering: { title: "Rostering", note: "Upload these files here, on the Upload page, or to POST /api/v1/upload." },
  payments: {
    title: "Payments",
    note:
      "Upload these files on the Upload page, for one of your companies, or send them to an import batch " +
      "through the import batches API. Either needs a client with the payments scope.",
  },
};

function groupByScope(templates) {
  const groups = new Map();
  for (const template of templates) {
    if (!groups.has(template.scope)) {
      groups.set(template.scope, []);
    }
    groups.get(template.scope).push(template);
  }
  const rank = (scope) => (scope === "rostering" ? "" : scope);
  return [...groups.entries()].sort(([a], [b]) => rank(a).localeCompare(rank(b)));
}

function tocEntry(template) {
  return h("li", null, h("a", { href: "#/templates", "data-target": `template-${template.name}` }, template.name));
}

function templateSection(template) {
  const id = `template-${template.name}`;
  return h(
    "section",
    { class: "panel template", id, "aria-labelledby": `${id}-heading` },
    h(
      "div",
      { class: "template-head" },
      h("h3", { id: `${id}-heading` }, h("code", null, template.name)),
      h("a", { href: template.templateUrl, download: `${template.name}.csv`, class: "button button-secondary" }, `Download ${template.name}.csv`),
    ),
    template.description ? h("p", null, template.description) : null,
    h(
      "p",
      { class: "muted" },
      "Identified by ",
      template.key.map((column, index) => [index ? ", " : "", h("code", null, column)]),
      template.extraPrefix ? [" · extra columns named ", h("code", null, `${template.extraPrefix}<KEY>`)] : null,
    ),
    dataTable({ caption: `Columns of ${template.name}`, columns: COLUMNS, rows: template.columns.map(columnCells), className: "columns" }),
  );
}

// The address bar holds the route, so an in-page link scrolls by hand instead of by fragment.
function jumpToTemplate(event) {
  const target = event.target.closest("a[data-target]");
  if (!target) {
    return;
  }
  event.preventDefault();
  const heading = document.getElementById(`${target.dataset.target}-heading`);
  heading.setAttribute("tabindex", "-1");
  heading.scrollIntoView({ block: "start" });
  heading.focus({ preventScroll: true });
}

export function templatesView(page) {
  const body = h("div", null, h("p", { class: "muted" }, "Loading templates…"));
  fill(
    page.main,
    h("h1", null, "Templates"),
    h(
      "p",
      { class: "lead" },
      "Each import type is recognised by its header row. Download a template, fill in one row per record, and upload it. Column names may use any case.",
    ),
    body,
  );

  api("/api/v1/templates", { auth: false, signal: page.signal })
    .then((answer) => {
      const groups = groupByScope(answer.items);
      fill(
        body,
        h(
          "nav",
          { class: "toc", "aria-label": "Templates on this page", onclick: jumpToTemplate },
          h("ul", null, groups.flatMap(([, templates]) => templates).map(tocEntry)),
        ),
        groups.map(([scope, templates]) =>
          h(
            "section",
            { class: "scope-group", "aria-labelledby": `scope-${scope}` },
            h("h2", { id: `scope-${scope}` }, SCOPES[scope] ? SCOPES[scope].title : scope),
            SCOPES[scope] ? h("p", { class: "muted" }, SCOPES[scope].note) : null,
            templates.map(templateSection),
          ),
        ),
      );
    })
    .catch((error) => {
      body.replaceChildren();
      page.showError(error);
    });
}
