// Builds elements from data without ever parsing markup: every string becomes a text node or an
// attribute value, because file names, headers and messages come from uploaded CSV files.

/**
 * Creates an element. `props` sets attributes (`class`, `for`, `aria-*`...), the live `value` and
 * `checked` properties, and listeners (`onclick`...). Children may be nodes, strings, numbers or
 * arrays of them; null, undefined and false are skipped.
 */
export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2), value);
    } else if (key === "value" || key === "checked") {
      element[key] = value;
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces everything inside `parent`. */
export function fill(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/**
 * A table that scrolls sideways on a laptop and stacks into labelled cards on a phone
 * (`data-label` names each cell there). `rows` are arrays of cells: a node, a string or
 * `{content, className}`.
 */
export function dataTable({ caption, columns, rows, className = "" }) {
  const head = h("tr", null, columns.map((column) => h("th", { scope: "col", class: column.className }, column.label)));
  const body = h("tbody", null, rows.map((cells) => tableRow(columns, cells)));
  return h(
    "div",
    { class: "table-wrap", role: "region", "aria-label": caption, tabindex: "0" },
    h("table", { class: `stack ${className}` }, h("caption", { class: "visually-hidden" }, caption), h("thead", null, head), body),
  );
}

export function tableRow(columns, cells) {
  return h(
    "tr",
    null,
    cells.map((cell, index) => {
      const column = columns[index];
      const plain = cell === null || typeof cell !== "object" || cell instanceof Node;
      const content = plain ? cell : cell.content;
      const className = [column.className, plain ? "" : cell.className].filter(Boolean).join(" ");
      return h("td", { "data-label": column.label, class: className || null }, content);
    }),
  );
}
