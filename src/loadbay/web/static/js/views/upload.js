// Pick or drop a CSV file, see which template its header fits, choose the options, upload.

import { api, uploadCsv } from "../api.js";
import { fill, h } from "../dom.js";
import { formatBytes, plural } from "../format.js";
import { hasScope } from "../session.js";

// The detect endpoint reads at most 64 KiB: plenty for a header row and a few lines.
const DETECT_BYTES = 64 * 1024;

export function uploadView(page) {
  page.setTitle("Upload a file");
  let file = null;
  let uploading = null;
  let maxBytes = null;

  const input = h("input", { id: "file", type: "file", accept: ".csv,text/csv", class: "visually-hidden" });
  const chosen = h("div", { class: "chosen", "aria-live": "polite" });
  const detection = h("div", { class: "detection", "aria-live": "polite" });
  const dryRun = h("input", { id: "dry-run", type: "checkbox", "aria-describedby": "dry-run-hint" });
  const abortOnError = h("input", { id: "abort-on-error", type: "checkbox", "aria-describedby": "abort-hint" });
  const submit = h("button", { type: "submit", class: "button", disabled: true }, "Upload and import");
  const cancel = h("button", { type: "button", class: "button button-secondary", hidden: true }, "Cancel upload");
  const progress = h("progress", { id: "upload-progress", max: "100", value: "0" });
  const progressText = h("span", { class: "progress-text" });
  const progressBox = h(
    "div",
    { class: "progress-box", hidden: true },
    h("label", { for: "upload-progress" }, "Upload progress"),
    progress,
    progressText,
  );

  const limitHint = h("span");
  const dropzone = h(
    "div",
    { class: "dropzone" },
    input,
    h("p", { class: "dropzone-title" }, "Drop a CSV file here"),
    h("p", { class: "muted" }, "or"),
    h("label", { for: "file", class: "button button-secondary file-label" }, "Choose a file…"),
    h("p", { class: "hint" }, "UTF-8 or UTF-16, separated by commas, semicolons or tabs.", limitHint),
  );

  function choose(candidate) {
    page.clearAlerts();
    if (!candidate) {
      return;
    }
    if (!candidate.name.toLowerCase().endsWith(".csv")) {
      file = null;
      submit.disabled = true;
      chosen.replaceChildren();
      detection.replaceChildren();
      page.showError(`${candidate.name} is not a .csv file. Save the spreadsheet as “CSV UTF-8” and choose that file.`);
      return;
    }
    if (maxBytes !== null && candidate.size > maxBytes) {
      file = null;
      submit.disabled = true;
      chosen.replaceChildren();
      detection.replaceChildren();
      page.showError(
        `File too large: ${candidate.name} is ${formatBytes(candidate.size)}; this server accepts files up to ` +
          `${formatBytes(maxBytes)}. Split the file and upload each part.`,
      );
      return;
    }
    file = candidate;
    submit.disabled = false;
    fill(chosen, h("p", null, h("strong", null, file.name), h("span", { class: "muted" }, ` · ${formatBytes(file.size)}`)));
    detect(file);
  }

  async function detect(candidate) {
    fill(detection, h("p", { class: "muted" }, "Reading the header…"));
    try {
      const answer = await api("/api/v1/templates/detect?scope=rostering", {
        method: "POST",
        body: candidate.slice(0, DETECT_BYTES),
        headers: { "Content-Type": "text/csv" },
        auth: false,
        signal: page.signal,
      });
      if (candidate === file) {
        showDetection(answer);
      }
    } catch (error) {
      if (candidate === file && error.name !== "AbortError") {
        fill(detection, h("div", { class: "callout callout-warning" }, h("p", null, error.message)));
      }
    }
  }

  function showDetection(answer) {
    const columns = plural(answer.header.length, "column");
    if (answer.importType) {
      fill(
        detection,
        h(
          "div",
          { class: "callout callout-ok" },
          h("p", null, "Template: ", h("strong", { class: "detected-template" }, answer.importType), ` (${columns})`),
          h("p", { class: "muted" }, `Encoding ${answer.encoding}, separated by “${answer.delimiter === "\t" ? "tab" : answer.delimiter}”.`),
        ),
      );
      return;
    }
    fill(
      detection,
      h(
        "div",
        { class: "callout callout-warning" },
        h("p", null, h("strong", null, "The header fits no template."), " The import will fail unless it is fixed:"),
        h("ul", { class: "problems" }, answer.problems.map((problem) => h("li", null, problem))),
        h("p", null, "Compare it with the ", h("a", { href: "#/templates" }, "templates"), "."),
      ),
    );
  }

  async function onSubmit(event) {
    event.preventDefault();
    if (!file || uploading) {
      return;
    }
    page.clearAlerts();
    uploading = new AbortController();
    page.signal.addEventListener("abort", () => uploading && uploading.abort());
    setBusy(true);
    try {
      const referenceId = await uploadCsv(
        file,
        { dryRun: dryRun.checked, abortOnError: abortOnError.checked },
        { onProgress: showProgress, signal: uploading.signal },
      );
      page.navigate(`/imports/${referenceId}`);
    } catch (error) {
      if (error.name === "AbortError") {
        page.showNotice("Upload cancelled. Nothing was imported.");
      } else {
        page.showError(error);
      }
    } finally {
      uploading = null;
      setBusy(false);
    }
  }

  function showProgress(loaded, total) {
    const percent = total ? Math.round((loaded / total) * 100) : 0;
    progress.value = percent;
    progressText.textContent = `${percent}% · ${formatBytes(loaded)} of ${formatBytes(total)}`;
  }

  function setBusy(busy) {
    submit.disabled = busy;
    input.disabled = busy;
    cancel.hidden = !busy;
    progressBox.hidden = !busy;
    submit.textContent = busy ? "Uploading…" : "Upload and import";
    if (busy) {
      showProgress(0, file.size);
    }
  }

  // Knowing the limit spares sending a file the server will refuse. Without it (an older server)
  // the server's own 413 still says the same.
  api("/api/v1/limits", { auth: false, signal: page.signal })
    .then((limits) => {
      maxBytes = limits.maxUploadBytes;
      limitHint.textContent = ` Up to ${formatBytes(maxBytes)}.`;
    })
    .catch(() => {});

  input.addEventListener("change", () => choose(input.files[0]));
  cancel.addEventListener("click", () => uploading && uploading.abort());
  dropzone.addEventListener("dragover", (event) => {
    event.preventDefault();
    dropzone.classList.add("dropzone-over");
  });
  dropzone.addEventListener("dragleave", () => dropzone.classList.remove("dropzone-over"));
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropzone.classList.remove("dropzone-over");
    if (!uploading) {
      choose(event.dataTransfer.files[0]);
    }
  });

  fill(
    page.main,
    h("h1", null, "Upload a file"),
    h(
      "p",
      { class: "lead" },
      "Loadbay reads the template from the file’s header row, imports the rows in the background and reports every line it could not import. ",
      h("a", { href: "#/templates" }, "Download an empty template"),
      " to start a new file.",
    ),
    hasScope("rostering")
      ? null
      : h("div", { class: "callout callout-warning" }, h("p", null, "This client lacks the rostering scope: uploads will be refused.")),
    h(
      "form",
      { class: "panel form upload-form", onsubmit: onSubmit },
      dropzone,
      chosen,
      detection,
      h(
        "fieldset",
        { class: "options" },
        h("legend", null, "Options"),
        h(
          "div",
          { class: "check" },
          dryRun,
          h("label", { for: "dry-run" }, "Dry run"),
          h("p", { class: "hint", id: "dry-run-hint" }, "Check every row and report what would happen; write nothing."),
        ),
        h(
          "div",
          { class: "check" },
          abortOnError,
          h("label", { for: "abort-on-error" }, "Abort on any error"),
          h("p", { class: "hint", id: "abort-hint" }, "Import nothing if a single row is wrong. Otherwise the good rows are imported."),
        ),
      ),
      progressBox,
      h("div", { class: "actions" }, submit, cancel),
    ),
  );
}
